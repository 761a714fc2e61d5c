terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned to the version shipped in the offline provider mirror.
      version = "5.100.0"
    }
  }
}

locals {
  emulated = var.aws_endpoint_url != null
}

provider "aws" {
  region = var.aws_region

  # Emulators (moto, LocalStack) accept any static keys. Forcing them here also
  # keeps real credentials from the environment out of emulator runs.
  access_key = local.emulated ? "test" : null
  secret_key = local.emulated ? "test" : null

  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  # Emulators serve buckets under the endpoint path, not as virtual hosts.
  s3_use_path_style = local.emulated

  # A null endpoint means "use the real AWS endpoint".
  endpoints {
    cloudwatchlogs = var.aws_endpoint_url
    dynamodb       = var.aws_endpoint_url
    ecs            = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    ses            = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  default_tags {
    tags = merge({ Project = "conveyor", ManagedBy = "terraform" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
