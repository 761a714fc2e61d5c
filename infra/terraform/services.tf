# ECS Fargate deployment of the three services, each from its own image. Everything here
# is skipped when deploy_services = false (e.g. applying against an emulator).

locals {
  ecs_count = var.deploy_services ? 1 : 0
  # No images without ECS services (the precondition below insists on them otherwise).
  images = var.images != null ? var.images : { producer = null, processor = null, notifier = null }

  # Same variables the services read locally; secrets come from SSM below. Unset ones
  # (tracing's endpoint: off) are left out.
  service_environment = [
    for name, value in {
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
      # Where every service exports its spans over OTLP/HTTP (README "Tracing").
      OTEL_EXPORTER_OTLP_ENDPOINT = var.otel_exporter_otlp_endpoint
    } : { name = name, value = value } if value != null
  ]

  # Tokens are checked against the key set when jwks_url is set, else with the secret.
  verify_with_secret = var.jwks_url == null

  # The producer's token checks besides the secret; unset ones are left out.
  producer_auth_environment = [
    for name, value in {
      JWKS_URL     = var.jwks_url
      JWT_AUDIENCE = var.jwt_audience
      JWT_ISSUER   = var.jwt_issuer
    } : { name = name, value = value } if value != null
  ]

  service_secrets = {
    producer  = concat(["DATABASE_URL"], local.verify_with_secret ? ["JWT_SECRET"] : [])
    processor = ["DATABASE_URL"]
    notifier  = []
  }

  service_sizes = {
    producer  = { cpu = 256, memory = 512 }
    processor = { cpu = 512, memory = 1024 } # PDF rendering with WeasyPrint
    notifier  = { cpu = 256, memory = 512 }
  }
}

resource "aws_ssm_parameter" "secret" {
  for_each = var.deploy_services ? merge(
    { DATABASE_URL = var.database_url },
    local.verify_with_secret ? { JWT_SECRET = var.jwt_secret } : {},
  ) : {}

  name  = "/conveyor/${lower(each.key)}"
  type  = "SecureString"
  value = each.value

  lifecycle {
    precondition {
      condition     = each.value != null && each.value != ""
      error_message = "deploy_services = true needs database_url, and jwt_secret unless jwks_url is set."
    }
  }
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = var.deploy_services ? local.services : toset([])

  name              = "/conveyor/${each.key}"
  retention_in_days = var.log_retention_days
}

# ---- execution role: used by ECS itself to pull the image, ship logs, read secrets ----

resource "aws_iam_role" "execution" {
  count = local.ecs_count

  name               = "conveyor-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  count = local.ecs_count

  statement {
    sid = "PullImage"
    actions = [
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchGetImage",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for g in aws_cloudwatch_log_group.service : "${g.arn}:*"]
  }

  statement {
    sid       = "ReadSecrets"
    actions   = ["ssm:GetParameters"]
    resources = [for p in aws_ssm_parameter.secret : p.arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  count = local.ecs_count

  name   = "conveyor-ecs-execution"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution[0].json
}

# ---- cluster, task definitions, services ----

resource "aws_ecs_cluster" "main" {
  count = local.ecs_count

  name = "conveyor"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  log_configuration = {
    for svc in local.services : svc => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = "/conveyor/${svc}"
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = svc
      }
    }
  }

  # A worker is unhealthy once its consumer has not received from SQS for
  # LIVENESS_MAX_AGE_SECONDS (conveyor_aws.broker.liveness); ECS then replaces the task.
  worker_health_check = {
    for svc in ["processor", "notifier"] : svc => {
      command     = ["CMD", "python", "-m", "conveyor_aws.broker.liveness", svc]
      interval    = 30
      timeout     = 10
      retries     = 3
      startPeriod = 60
    }
  }

  # Where each worker serves /metrics for Prometheus (METRICS_PORT, read by
  # conveyor_aws.metrics.server); the producer serves it on producer_port.
  worker_metrics_ports = { processor = 9101, notifier = 9102 }
  worker_metrics = {
    for svc, port in local.worker_metrics_ports : svc => {
      environment  = [{ name = "METRICS_PORT", value = tostring(port) }]
      portMappings = [{ containerPort = port, protocol = "tcp" }]
    }
  }

  secrets_for = {
    for svc, names in local.service_secrets : svc => [
      for n in names : { name = n, valueFrom = try(aws_ssm_parameter.secret[n].arn, "") }
    ]
  }

  containers = {
    producer = [{
      name      = "producer"
      image     = local.images.producer
      essential = true
      command   = ["python", "-m", "conveyor_producer"]
      # All interfaces: the producer listens on 127.0.0.1 unless told otherwise, and
      # then nothing outside the container (the load balancer) reaches it.
      environment = concat(local.service_environment, local.producer_auth_environment, [
        { name = "HOST", value = "0.0.0.0" },
        { name = "PORT", value = tostring(var.producer_port) },
      ])
      secrets      = local.secrets_for.producer
      portMappings = [{ containerPort = var.producer_port, protocol = "tcp" }]
      healthCheck = {
        # The slim image has no curl; urlopen fails on no answer or an HTTP error status.
        command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.producer_port}/health', timeout=2)"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 20
      }
      logConfiguration = local.log_configuration.producer
    }]

    processor = [
      {
        # Schema migrations run to completion before the worker starts.
        name             = "migrate"
        image            = local.images.processor
        essential        = false
        command          = ["python", "-m", "conveyor_processor.migrate"]
        environment      = local.service_environment
        secrets          = local.secrets_for.processor
        logConfiguration = local.log_configuration.processor
      },
      {
        name             = "processor"
        image            = local.images.processor
        essential        = true
        command          = ["python", "-m", "conveyor_processor"]
        environment      = concat(local.service_environment, local.worker_metrics.processor.environment)
        secrets          = local.secrets_for.processor
        portMappings     = local.worker_metrics.processor.portMappings
        dependsOn        = [{ containerName = "migrate", condition = "SUCCESS" }]
        healthCheck      = local.worker_health_check.processor
        logConfiguration = local.log_configuration.processor
      },
    ]

    notifier = [{
      name             = "notifier"
      image            = local.images.notifier
      essential        = true
      command          = ["python", "-m", "conveyor_notifier"]
      environment      = concat(local.service_environment, local.worker_metrics.notifier.environment)
      secrets          = local.secrets_for.notifier
      portMappings     = local.worker_metrics.notifier.portMappings
      healthCheck      = local.worker_health_check.notifier
      logConfiguration = local.log_configuration.notifier
    }]
  }
}

resource "aws_ecs_task_definition" "service" {
  for_each = var.deploy_services ? local.services : toset([])

  family                   = "conveyor-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.service_sizes[each.key].cpu
  memory                   = local.service_sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution[0].arn
  task_role_arn            = aws_iam_role.service[each.key].arn
  container_definitions    = jsonencode(local.containers[each.key])

  # The awslogs driver fails task start if the group does not exist yet.
  depends_on = [aws_cloudwatch_log_group.service]

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  lifecycle {
    precondition {
      condition     = var.images != null
      error_message = "deploy_services = true needs var.images."
    }
  }
}

resource "aws_ecs_service" "service" {
  for_each = aws_ecs_task_definition.service

  name            = "conveyor-${each.key}"
  cluster         = aws_ecs_cluster.main[0].id
  task_definition = each.value.arn
  desired_count   = var.desired_count[each.key]
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    precondition {
      condition     = length(var.subnet_ids) > 0
      error_message = "deploy_services = true needs subnet_ids."
    }
  }
}
