output "api_dns_name" {
  description = "DNS name of the API's load balancer: point the certificate's domain at it (CNAME or alias)."
  value       = module.service["producer"].load_balancer_dns_name
}

output "repository_urls" {
  description = "ECR repository per service: push <url>:<image_tag> before applying the services."
  value       = { for k, s in module.service : k => s.repository_url }
}

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

output "cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "migration_task" {
  description = "What a one-off migration run needs: the processor's task family (its init container migrates) and its network."
  value = {
    task_definition = module.service["processor"].task_definition_family
    subnets         = var.private_subnet_ids
    security_group  = module.service["processor"].security_group_id
  }
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the database's master credentials (kept and rotated by RDS)."
  value       = module.database.master_user_secret_arn
}

output "alarm_topic_arn" {
  description = "The alarm topic."
  value       = module.alarms.topic_arn
}

output "task_role_policies" {
  description = "Each service's task-role policy document (JSON), exactly as attached."
  value       = { for k, s in module.service : k => s.task_role_policy_json }
}
