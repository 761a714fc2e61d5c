# Everything Conveyor runs on in one AWS account: the platform (messaging, storage,
# state, e-mail, task policies) the emulator root (envs/local) declares too, plus
# PostgreSQL, the three ECS services and the alarms. Networking is the account's own (inputs).

module "platform" {
  source = "../../modules/platform"

  name_prefix                  = var.name_prefix
  exports_bucket_name          = var.exports_bucket_name
  uploads_bucket_name          = var.uploads_bucket_name
  logs_bucket_name             = var.logs_bucket_name
  uploads_cors_allowed_origins = var.uploads_cors_allowed_origins
  ses_sender                   = var.ses_sender
}

module "database" {
  source = "../../modules/database"

  identifier     = var.name_prefix
  vpc_id         = var.vpc_id
  subnet_ids     = var.private_subnet_ids
  multi_az       = var.database_multi_az
  instance_class = var.database_instance_class
  # The worker without a database (the notifier) gets no way in.
  client_security_group_ids = {
    producer  = module.service["producer"].security_group_id
    processor = module.service["processor"].security_group_id
  }
}

module "alarms" {
  source = "../../modules/alarms"

  name_prefix             = var.name_prefix
  queue_names             = module.platform.queue_names
  dead_letter_queue_names = module.platform.dead_letter_queue_names
  email_subscribers       = var.alarm_emails
  load_balancer = {
    arn_suffix              = module.service["producer"].load_balancer_arn_suffix
    target_group_arn_suffix = module.service["producer"].target_group_arn_suffix
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The services' log groups (/<prefix>/<service>), encrypted with a key CloudWatch Logs
# may use for them.
module "logs_key" {
  source = "../../modules/kms_key"

  alias       = "${var.name_prefix}-logs"
  description = "Conveyor's service log groups."
  service_principals = [{
    identifier = "logs.${var.aws_region}.amazonaws.com"
    condition = {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:/${var.name_prefix}/*"]
    }
  }]
}

resource "aws_ecs_cluster" "main" {
  name = var.name_prefix

  # Also the RunningTaskCount the workers' autoscaling divides their backlog by.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}
