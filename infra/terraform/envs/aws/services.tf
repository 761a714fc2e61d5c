# The three services on ECS Fargate, each from its own ECR repository, each with the task
# role modules/task_policies builds for it.

locals {
  # Where each worker serves /metrics for Prometheus (METRICS_PORT, read by
  # conveyor_aws.metrics.server); the producer serves it on its own port.
  producer_port        = 8000
  worker_metrics_ports = { processor = 9101, notifier = 9102 }

  # Same variables the services read locally; no secret among them.
  # Unset ones (tracing's endpoint: off) are left out.
  common_environment = merge(module.platform.environment, {
    for name, value in {
      AWS_REGION = var.aws_region
      LOG_LEVEL  = var.log_level
      SKIP_SES   = tostring(var.skip_ses)
      # Where every service exports its spans over OTLP/HTTP (README "Tracing").
      OTEL_EXPORTER_OTLP_ENDPOINT = var.otel_exporter_otlp_endpoint
    } : name => value if value != null
  })

  # The URL carries no password: libpq reads it from PGPASSWORD, which ECS fills from
  # the secret RDS keeps, so no credential passes through Terraform.
  database_environment = {
    DATABASE_URL = "postgresql://${module.database.master_username}@${module.database.address}:${module.database.port}/${module.database.database_name}?sslmode=require"
  }
  database_secrets = {
    PGPASSWORD = { arn = module.database.master_user_secret_arn, key = "password" }
  }

  # The producer's token checks; unset ones are left out.
  producer_auth_environment = {
    for name, value in {
      JWKS_URL     = var.jwks_url
      JWT_AUDIENCE = var.jwt_audience
      JWT_ISSUER   = var.jwt_issuer
    } : name => value if value != null
  }
  jwt_secrets = var.jwt_secret_arn == null ? {} : { JWT_SECRET = { arn = var.jwt_secret_arn, key = null } }

  # A worker is unhealthy once its consumer has not received from SQS for
  # LIVENESS_MAX_AGE_SECONDS (conveyor_aws.broker.liveness); ECS then replaces the task.
  worker_health_check = {
    for svc in ["processor", "notifier"] : svc => {
      command = ["CMD", "python", "-m", "conveyor_aws.broker.liveness", svc]
    }
  }

  services = {
    producer = {
      command = ["python", "-m", "conveyor_producer"]
      # All interfaces: the producer listens on 127.0.0.1 unless told otherwise, and
      # then nothing outside the container (the load balancer) reaches it.
      environment = merge(local.common_environment, local.database_environment, local.producer_auth_environment, {
        HOST = "0.0.0.0"
        PORT = tostring(local.producer_port)
      })
      secrets = merge(local.database_secrets, local.jwt_secrets)
      port    = local.producer_port
      health_check = {
        # The slim image has no curl; urlopen fails on no answer or an HTTP error status.
        command      = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.producer_port}/health', timeout=2)"]
        interval     = 15
        timeout      = 5
        start_period = 20
      }
      cpu            = 256
      memory         = 512
      init_container = null
    }

    processor = {
      command = ["python", "-m", "conveyor_processor"]
      environment = merge(local.common_environment, local.database_environment, {
        METRICS_PORT = tostring(local.worker_metrics_ports.processor)
        # E-mailed links lead through the API (conveyor_common.links).
        PUBLIC_API_URL = var.api_public_url
      })
      secrets      = local.database_secrets
      port         = local.worker_metrics_ports.processor
      health_check = local.worker_health_check.processor
      cpu          = 512
      memory       = 1024 # PDF rendering with WeasyPrint
      # Migrators of tasks started together take turns under a PostgreSQL advisory
      # lock, so the schema is migrated once, before any worker starts.
      init_container = { name = "migrate", command = ["python", "-m", "conveyor_processor.migrate"] }
    }

    notifier = {
      command        = ["python", "-m", "conveyor_notifier"]
      environment    = merge(local.common_environment, { METRICS_PORT = tostring(local.worker_metrics_ports.notifier) })
      secrets        = {}
      port           = local.worker_metrics_ports.notifier
      health_check   = local.worker_health_check.notifier
      cpu            = 256
      memory         = 512
      init_container = null
    }
  }
}

module "service" {
  source   = "../../modules/service"
  for_each = local.services

  name                       = each.key
  name_prefix                = var.name_prefix
  cluster_arn                = aws_ecs_cluster.main.arn
  image_tag                  = var.image_tag
  cpu                        = each.value.cpu
  memory                     = each.value.memory
  desired_count              = var.desired_count[each.key]
  command                    = each.value.command
  init_container             = each.value.init_container
  environment                = each.value.environment
  secrets                    = each.value.secrets
  secrets_kms_key_arns       = length(each.value.secrets) > 0 ? [module.database.kms_key_arn] : []
  port                       = each.value.port
  scraper_security_group_ids = var.metrics_scraper_security_group_ids
  health_check               = each.value.health_check
  task_role_policy_json      = module.platform.task_role_policies[each.key]
  log_retention_days         = var.log_retention_days
  log_kms_key_arn            = module.logs_key.arn
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids

  load_balancer = each.key != "producer" ? null : {
    certificate_arn     = var.certificate_arn
    subnet_ids          = var.public_subnet_ids
    ingress_cidr_blocks = var.api_ingress_cidr_blocks
    access_logs_bucket  = module.platform.logs_bucket
  }

  queue_autoscaling = !contains(keys(var.worker_scaling), each.key) ? null : {
    queue_name        = module.platform.queue_names[each.key]
    messages_per_task = var.worker_scaling[each.key].messages_per_task
    min_capacity      = var.worker_scaling[each.key].min_capacity
    max_capacity      = var.worker_scaling[each.key].max_capacity
  }
}

# The services that store orders reach PostgreSQL.
resource "aws_vpc_security_group_egress_rule" "to_database" {
  for_each = toset(["producer", "processor"])

  security_group_id            = module.service[each.key].security_group_id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.database.security_group_id
}
