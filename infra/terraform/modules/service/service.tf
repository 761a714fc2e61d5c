resource "aws_security_group" "tasks" {
  name        = "${local.full_name}-tasks"
  description = "Tasks of the ${local.full_name} service."
  vpc_id      = var.vpc_id
}

# AWS APIs (SNS, SQS, S3, DynamoDB, SES, ECR, Logs, Secrets Manager) over HTTPS, through
# the subnets' NAT gateway or VPC endpoints.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_ecs_service" "this" {
  name             = local.full_name
  cluster          = var.cluster_arn
  task_definition  = aws_ecs_task_definition.this.arn
  desired_count    = var.desired_count
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "load_balancer" {
    for_each = var.load_balancer == null ? [] : [1]

    content {
      target_group_arn = aws_lb_target_group.this[0].arn
      container_name   = var.name
      container_port   = var.port
    }
  }

  # Autoscaling owns the count once it is on.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

# Prometheus (or an agent) scrapes /metrics on the task's port from inside the VPC: the
# producer serves it beside its API, each worker on its own METRICS_PORT.
resource "aws_vpc_security_group_ingress_rule" "scrapers" {
  for_each = var.port == null ? toset([]) : toset(var.scraper_security_group_ids)

  security_group_id            = aws_security_group.tasks.id
  description                  = "Metrics scrapes"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = each.value
}
