terraform {
  # 1.9: a variable's validation may name other variables.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned to the version shipped in the offline provider mirror (../../cli.tfrc).
      version = "5.100.0"
    }
  }

  # State shared by everyone who applies: an S3 bucket (versioned, encrypted, private)
  # made once by hand, with S3's own lock file (use_lockfile: Terraform >= 1.10).
  # Uncomment, fill in, `terraform init`.
  # backend "s3" {
  #   bucket       = "acme-conveyor-terraform-state"
  #   key          = "conveyor/aws.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "conveyor", ManagedBy = "terraform" }, var.tags)
  }
}
