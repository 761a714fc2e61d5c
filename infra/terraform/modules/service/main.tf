# One ECS Fargate service: its image repository, log group, roles, task definition and
# service; an ALB in front (load_balancer) or scaling on its queue (queue_autoscaling).

data "aws_region" "current" {}

locals {
  full_name = "${var.name_prefix}-${var.name}"
  image     = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
}

resource "aws_ecr_repository" "this" {
  name                 = local.full_name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

# Untagged layers of superseded pushes are removed; released tags stay.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Remove untagged images after a week"
      selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.name_prefix}/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}
