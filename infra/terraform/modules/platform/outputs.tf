output "topic_arn" {
  description = "ARN of the SNS topic every event is published to."
  value       = module.messaging.topic_arn
}

output "queue_names" {
  description = "Main SQS queue name per consuming service."
  value       = module.messaging.queue_names
}

output "queue_urls" {
  description = "Main SQS queue URL per consuming service."
  value       = module.messaging.queue_urls
}

output "dead_letter_queue_names" {
  description = "Dead-letter queue name per consuming service."
  value       = module.messaging.dead_letter_queue_names
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per consuming service."
  value       = module.messaging.dead_letter_queue_urls
}

output "table_name" {
  description = "Name of the state table."
  value       = module.state.table_name
}

output "exports_bucket" {
  description = "Name of the exports bucket."
  value       = module.storage.exports_bucket
}

output "uploads_bucket" {
  description = "Name of the uploads bucket."
  value       = module.storage.uploads_bucket
}

output "logs_bucket" {
  description = "Name of the access-logs bucket."
  value       = module.storage.logs_bucket
}

output "environment" {
  description = "The variables every service reads to find these resources (no secret among them)."
  value = {
    EVENTS_TOPIC_ARN = module.messaging.topic_arn
    PROCESSOR_QUEUE  = module.messaging.queue_names["processor"]
    NOTIFIER_QUEUE   = module.messaging.queue_names["notifier"]
    STATE_TABLE      = module.state.table_name
    EXPORTS_BUCKET   = module.storage.exports_bucket
    UPLOADS_BUCKET   = module.storage.uploads_bucket
    SES_SENDER       = module.email.sender
  }
}

output "task_role_policies" {
  description = "Each service's task-role policy document (JSON), by service: producer, processor, notifier."
  value       = module.task_policies.policies
}
