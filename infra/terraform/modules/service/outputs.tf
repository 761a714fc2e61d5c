output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_family" {
  description = "Family of the task definition (run one-off tasks, e.g. the migrations, from it)."
  value       = aws_ecs_task_definition.this.family
}

output "repository_url" {
  description = "The service's ECR repository: push <repository_url>:<image_tag> before applying."
  value       = aws_ecr_repository.this.repository_url
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "task_role_policy_json" {
  description = "The task role's policy document (JSON), exactly as attached."
  value       = aws_iam_role_policy.task.policy
}

output "security_group_id" {
  description = "Security group of the tasks (add egress to what they call besides AWS, e.g. PostgreSQL)."
  value       = aws_security_group.tasks.id
}

output "log_group_name" {
  description = "CloudWatch log group of the service."
  value       = aws_cloudwatch_log_group.this.name
}

output "load_balancer_dns_name" {
  description = "DNS name of the ALB (point the API's domain at it); null without a load balancer."
  value       = try(aws_lb.this[0].dns_name, null)
}

output "load_balancer_arn_suffix" {
  description = "The ALB's CloudWatch dimension (LoadBalancer); null without one."
  value       = try(aws_lb.this[0].arn_suffix, null)
}

output "target_group_arn_suffix" {
  description = "The target group's CloudWatch dimension (TargetGroup); null without a load balancer."
  value       = try(aws_lb_target_group.this[0].arn_suffix, null)
}

output "scaling_policy_arn" {
  description = "ARN of the queue-depth target-tracking policy; null without queue_autoscaling."
  value       = try(aws_appautoscaling_policy.backlog_per_task[0].arn, null)
}

output "scraper_ingress_ports" {
  description = "The port each scraper security group may reach, by group id."
  value       = { for id, rule in aws_vpc_security_group_ingress_rule.scrapers : id => rule.from_port }
}
