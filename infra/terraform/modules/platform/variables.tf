variable "name_prefix" {
  description = "Prefix of the topic, queue, table and key names (conveyor_aws.resources.ResourceNames.prefix)."
  type        = string
  default     = "conveyor"
}

variable "exports_bucket_name" {
  description = "Name of the exports bucket (globally unique on real AWS)."
  type        = string
}

variable "uploads_bucket_name" {
  description = "Name of the uploads bucket (globally unique on real AWS)."
  type        = string
}

variable "logs_bucket_name" {
  description = "Name of the access-logs bucket (globally unique on real AWS)."
  type        = string
}

variable "uploads_cors_allowed_origins" {
  description = "Origins (scheme://host[:port]) whose pages may POST files to the uploads bucket's presigned forms. Empty: no CORS rule."
  type        = list(string)
  default     = []
}

variable "ses_sender" {
  description = "E-mail address the notifier sends from."
  type        = string
}

variable "throwaway" {
  description = "A throwaway environment (an emulator): destroy empties the buckets and may delete the table."
  type        = bool
  default     = false
}
