# Everything Conveyor runs on in one AWS account: the messaging, storage, state and
# e-mail the emulator root (envs/local) declares too, plus PostgreSQL, the three ECS
# services and the alarms. Networking is the account's own (inputs).

module "messaging" {
  source = "../../modules/messaging"

  name_prefix = var.name_prefix
}

module "storage" {
  source = "../../modules/storage"

  name_prefix                  = var.name_prefix
  exports_bucket_name          = var.exports_bucket_name
  uploads_bucket_name          = var.uploads_bucket_name
  logs_bucket_name             = var.logs_bucket_name
  uploads_cors_allowed_origins = var.uploads_cors_allowed_origins
}

module "state" {
  source = "../../modules/state"

  table_name = "${var.name_prefix}-state"
}

module "email" {
  source = "../../modules/email"

  sender = var.ses_sender
}

module "task_policies" {
  source = "../../modules/task_policies"

  topic_arn              = module.messaging.topic_arn
  queue_arns             = module.messaging.queue_arns
  dead_letter_queue_arns = module.messaging.dead_letter_queue_arns
  table_arn              = module.state.table_arn
  exports_bucket_arn     = module.storage.exports_bucket_arn
  uploads_bucket_arn     = module.storage.uploads_bucket_arn
  storage_kms_key_arn    = module.storage.kms_key_arn
  ses_identity_arn       = module.email.identity_arn
  ses_sender             = module.email.sender
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
  queue_names             = module.messaging.queue_names
  dead_letter_queue_names = module.messaging.dead_letter_queue_names
  email_subscribers       = var.alarm_emails
  load_balancer = {
    arn_suffix              = module.service["producer"].load_balancer_arn_suffix
    target_group_arn_suffix = module.service["producer"].target_group_arn_suffix
  }
}

# The services' log groups, encrypted with a key CloudWatch Logs may use.
module "logs_key" {
  source = "../../modules/kms_key"

  alias              = "${var.name_prefix}-logs"
  description        = "Conveyor's service log groups."
  service_principals = ["logs.${var.aws_region}.amazonaws.com"]
}

resource "aws_ecs_cluster" "main" {
  name = var.name_prefix

  # Also the RunningTaskCount the workers' autoscaling divides their backlog by.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}
