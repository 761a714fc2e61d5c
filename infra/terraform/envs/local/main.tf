# The resources the services need, on an emulator: what conveyor_aws.bootstrap makes
# for the dev stack, declared with the same modules as the AWS deployment (envs/aws).
# No ECS, database or alarms: the services run as local processes.

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
  # A throwaway environment: destroy empties the buckets.
  force_destroy = true
}

module "state" {
  source = "../../modules/state"

  table_name          = "${var.name_prefix}-state"
  deletion_protection = false
}

module "email" {
  source = "../../modules/email"

  sender = var.ses_sender
}

# The task roles' policies, as envs/aws grants them, for tests that run the services
# under exactly these rights.
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
