output "events_topic_arn" {
  description = "ARN of the SNS topic all events are published to."
  value       = aws_sns_topic.events.arn
}

output "queue_names" {
  description = "Main SQS queue name per consumer."
  value       = { for k, q in aws_sqs_queue.main : k => q.name }
}

output "queue_urls" {
  description = "Main SQS queue URL per consumer."
  value       = { for k, q in aws_sqs_queue.main : k => q.url }
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per consumer."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "state_table" {
  description = "DynamoDB table for job and delivery state."
  value       = aws_dynamodb_table.state.name
}

output "uploads_bucket" {
  description = "Private S3 bucket for uploaded files of orders and their error reports."
  value       = aws_s3_bucket.uploads.bucket
}

output "exports_bucket" {
  description = "S3 bucket for generated exports."
  value       = aws_s3_bucket.exports.bucket
}

output "service_role_arns" {
  description = "IAM task role ARN per service."
  value       = { for k, r in aws_iam_role.service : k => r.arn }
}

output "env" {
  description = "Environment for running the services against this deployment (DATABASE_URL and JWT_SECRET are not included)."
  value = merge(
    {
      AWS_REGION       = var.aws_region
      EVENTS_TOPIC_ARN = aws_sns_topic.events.arn
      PROCESSOR_QUEUE  = aws_sqs_queue.main["processor"].name
      NOTIFIER_QUEUE   = aws_sqs_queue.main["notifier"].name
      STATE_TABLE      = aws_dynamodb_table.state.name
      EXPORTS_BUCKET   = aws_s3_bucket.exports.bucket
      UPLOADS_BUCKET   = aws_s3_bucket.uploads.bucket
      SES_SENDER       = var.ses_sender
      LOG_LEVEL        = var.log_level
      SKIP_SES         = tostring(var.skip_ses)
    },
    var.aws_endpoint_url == null ? {} : { AWS_ENDPOINT_URL = var.aws_endpoint_url },
  )
}

output "producer_auth_env" {
  description = "The producer's token settings on top of env (JWKS_URL, JWT_AUDIENCE, JWT_ISSUER; those not set are left out). JWT_SECRET is not included."
  value       = { for e in local.producer_auth_environment : e.name => e.value }

  # Here rather than in a variable validation, which could name only its own
  # variable before Terraform 1.9 (required_version allows 1.6).
  precondition {
    condition     = var.jwt_secret == null || var.jwks_url == null
    error_message = "Set jwt_secret or jwks_url, not both: with a key set the API refuses HS256 tokens."
  }
}
