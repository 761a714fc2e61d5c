variable "aws_endpoint_url" {
  description = "Endpoint of the AWS emulator (moto server, LocalStack), e.g. http://127.0.0.1:5000."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url is http(s)://host[:port]."
  }
}

variable "aws_region" {
  description = "Region the emulator is asked for."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of the topic, queue and table names (conveyor_aws.resources.ResourceNames.prefix)."
  type        = string
  default     = "conveyor"
}

variable "exports_bucket_name" {
  description = "Name of the exports bucket."
  type        = string
  default     = "conveyor-exports"
}

variable "uploads_bucket_name" {
  description = "Name of the uploads bucket."
  type        = string
  default     = "conveyor-uploads"
}

variable "logs_bucket_name" {
  description = "Name of the access-logs bucket."
  type        = string
  default     = "conveyor-access-logs"
}

variable "uploads_cors_allowed_origins" {
  description = "Origins whose pages may POST files to the uploads bucket's presigned forms (empty: no CORS rule)."
  type        = list(string)
  default     = []
}

variable "ses_sender" {
  description = "E-mail address the notifier sends from."
  type        = string
  default     = "no-reply@conveyor.example.com"
}
