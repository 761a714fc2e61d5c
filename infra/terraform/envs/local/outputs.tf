output "events_topic_arn" {
  description = "ARN of the SNS topic all events are published to."
  value       = module.platform.topic_arn
}

output "queue_urls" {
  description = "Main SQS queue URL per consumer."
  value       = module.platform.queue_urls
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per consumer."
  value       = module.platform.dead_letter_queue_urls
}

output "state_table" {
  description = "DynamoDB table for job and delivery state."
  value       = module.platform.table_name
}

output "exports_bucket" {
  description = "S3 bucket for generated exports."
  value       = module.platform.exports_bucket
}

output "uploads_bucket" {
  description = "Private S3 bucket for uploaded files of orders and their error reports."
  value       = module.platform.uploads_bucket
}

# For tests that run the services under exactly the rights envs/aws gives them.
output "task_role_policies" {
  description = "Each service's task-role policy document (JSON), as envs/aws attaches it."
  value       = module.platform.task_role_policies
}

output "env" {
  description = "Environment for running the services against this emulator (DATABASE_URL and JWT_SECRET are not included)."
  value = merge(module.platform.environment, {
    AWS_ENDPOINT_URL = var.aws_endpoint_url
    AWS_REGION       = var.aws_region
  })
}
