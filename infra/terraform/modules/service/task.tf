locals {
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.this.name
      awslogs-region        = data.aws_region.current.name
      awslogs-stream-prefix = var.name
    }
  }

  environment = [for k, v in var.environment : { name = k, value = v }]
  secrets = [
    for k, s in var.secrets : { name = k, valueFrom = s.key == null ? s.arn : "${s.arn}:${s.key}::" }
  ]

  # Runs to completion before the service's container starts (the processor's migrations).
  init_container = var.init_container == null ? [] : [{
    name             = var.init_container.name
    image            = local.image
    essential        = false
    command          = var.init_container.command
    environment      = local.environment
    secrets          = local.secrets
    logConfiguration = local.log_configuration
  }]

  main_container = {
    name         = var.name
    image        = local.image
    essential    = true
    command      = var.command
    environment  = local.environment
    secrets      = local.secrets
    portMappings = var.port == null ? [] : [{ containerPort = var.port, protocol = "tcp" }]
    dependsOn    = var.init_container == null ? [] : [{ containerName = var.init_container.name, condition = "SUCCESS" }]
    healthCheck = {
      command     = var.health_check.command
      interval    = var.health_check.interval
      timeout     = var.health_check.timeout
      retries     = var.health_check.retries
      startPeriod = var.health_check.start_period
    }
    logConfiguration = local.log_configuration
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(concat(local.init_container, [local.main_container]))

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}
