output "events_topic_arn" {
  description = "ARN of the SNS topic all events are published to."
  value       = module.messaging.topic_arn
}

output "queue_urls" {
  description = "Main SQS queue URL per consumer."
  value       = module.messaging.queue_urls
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per consumer."
  value       = module.messaging.dead_letter_queue_urls
}

output "state_table" {
  description = "DynamoDB table for job and delivery state."
  value       = module.state.table_name
}

output "exports_bucket" {
  description = "S3 bucket for generated exports."
  value       = module.storage.exports_bucket
}

output "uploads_bucket" {
  description = "Private S3 bucket for uploaded files of orders and their error reports."
  value       = module.storage.uploads_bucket
}

output "task_role_policies" {
  description = "Each service's task-role policy document (JSON), as envs/aws attaches it."
  value       = module.task_policies.policies
}

output "env" {
  description = "Environment for running the services against this emulator (DATABASE_URL and JWT_SECRET are not included)."
  value = {
    AWS_ENDPOINT_URL = var.aws_endpoint_url
    AWS_REGION       = var.aws_region
    EVENTS_TOPIC_ARN = module.messaging.topic_arn
    PROCESSOR_QUEUE  = module.messaging.queue_names["processor"]
    NOTIFIER_QUEUE   = module.messaging.queue_names["notifier"]
    STATE_TABLE      = module.state.table_name
    EXPORTS_BUCKET   = module.storage.exports_bucket
    UPLOADS_BUCKET   = module.storage.uploads_bucket
    SES_SENDER       = module.email.sender
  }
}
