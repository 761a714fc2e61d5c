terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned to the version shipped in the offline provider mirror (../../cli.tfrc).
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  # Emulators (moto, LocalStack) accept any static keys. Forcing them here also
  # keeps real credentials from the environment out of emulator runs.
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = false
  # Emulators serve buckets under the endpoint path, not as virtual hosts.
  s3_use_path_style = true

  endpoints {
    dynamodb = var.aws_endpoint_url
    kms      = var.aws_endpoint_url
    s3       = var.aws_endpoint_url
    ses      = var.aws_endpoint_url
    sns      = var.aws_endpoint_url
    sqs      = var.aws_endpoint_url
    sts      = var.aws_endpoint_url
  }

  default_tags {
    tags = { Project = "conveyor", ManagedBy = "terraform" }
  }
}
