# The resources the services need, on an emulator: what conveyor_aws.bootstrap makes
# for the dev stack, declared with the same modules as the AWS deployment (envs/aws).
# No ECS, database or alarms: the services run as local processes.

module "platform" {
  source = "../../modules/platform"

  name_prefix                  = var.name_prefix
  exports_bucket_name          = var.exports_bucket_name
  uploads_bucket_name          = var.uploads_bucket_name
  logs_bucket_name             = var.logs_bucket_name
  uploads_cors_allowed_origins = var.uploads_cors_allowed_origins
  ses_sender                   = var.ses_sender
  throwaway                    = true
}
