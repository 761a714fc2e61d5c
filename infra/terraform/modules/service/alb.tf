# The producer's front door: an internet-facing ALB that ends TLS and forwards to the
# tasks' port inside the VPC.

locals {
  alb_count = var.load_balancer == null ? 0 : 1
}

resource "aws_security_group" "alb" {
  count = local.alb_count

  name        = "${local.full_name}-alb"
  description = "Load balancer of the ${local.full_name} service."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = var.load_balancer == null ? toset([]) : toset(var.load_balancer.ingress_cidr_blocks)

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  count = local.alb_count

  security_group_id            = aws_security_group.alb[0].id
  description                  = "To the tasks' port"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  count = local.alb_count

  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = aws_security_group.alb[0].id
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:a WAF web ACL is the deployer's choice of rules and cost; associate one with the ALB's ARN
  count = local.alb_count

  name                       = local.full_name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = var.load_balancer.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.load_balancer.deletion_protection

  access_logs {
    bucket  = var.load_balancer.access_logs_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the tasks stays inside the VPC's private subnets
  count = local.alb_count

  name        = local.full_name
  port        = var.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path                = var.load_balancer.health_check_path
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  count = local.alb_count

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.load_balancer.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }
}
