# What the services need in either root (envs/aws, envs/local): messaging, storage, the
# state table, the sender identity, and each service's task-role policy over them.

module "messaging" {
  source = "../messaging"

  name_prefix = var.name_prefix
}

module "storage" {
  source = "../storage"

  name_prefix                  = var.name_prefix
  exports_bucket_name          = var.exports_bucket_name
  uploads_bucket_name          = var.uploads_bucket_name
  logs_bucket_name             = var.logs_bucket_name
  uploads_cors_allowed_origins = var.uploads_cors_allowed_origins
  force_destroy                = var.throwaway
}

module "state" {
  source = "../state"

  table_name          = "${var.name_prefix}-state"
  deletion_protection = !var.throwaway
}

module "email" {
  source = "../email"

  sender = var.ses_sender
}

module "task_policies" {
  source = "../task_policies"

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
