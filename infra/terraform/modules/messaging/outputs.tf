output "topic_arn" {
  description = "ARN of the SNS topic every event is published to."
  value       = aws_sns_topic.events.arn
}

output "consumers" {
  description = "The event types each consuming service's queue subscribes to (routing.json)."
  value       = local.consumers
}

output "queue_names" {
  description = "Main SQS queue name per consuming service."
  value       = { for k, q in aws_sqs_queue.main : k => q.name }
}

output "queue_urls" {
  description = "Main SQS queue URL per consuming service."
  value       = { for k, q in aws_sqs_queue.main : k => q.url }
}

output "queue_arns" {
  description = "Main SQS queue ARN per consuming service."
  value       = { for k, q in aws_sqs_queue.main : k => q.arn }
}

output "dead_letter_queue_names" {
  description = "Dead-letter queue name per consuming service."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.name }
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per consuming service."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "dead_letter_queue_arns" {
  description = "Dead-letter queue ARN per consuming service."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.arn }
}
