variable "name_prefix" {
  description = "Prefix of the KMS key alias (<prefix>-storage)."
  type        = string
  default     = "conveyor"
}

variable "exports_bucket_name" {
  description = "Name of the bucket for generated exports (globally unique on real AWS)."
  type        = string
  default     = "conveyor-exports"
}

variable "uploads_bucket_name" {
  description = "Name of the private bucket for uploaded files of orders and their error reports (globally unique on real AWS)."
  type        = string
  default     = "conveyor-uploads"
}

variable "logs_bucket_name" {
  description = "Name of the bucket that receives the other buckets' access logs (and the load balancer's, under alb/)."
  type        = string
  default     = "conveyor-access-logs"
}

variable "exports_retention_days" {
  description = "Days an export file is kept (conveyor_common.exports.model.RETENTION_DAYS; the API answers 410 after them)."
  type        = number
  default     = 30

  validation {
    condition     = var.exports_retention_days >= 1
    error_message = "exports_retention_days is at least 1."
  }
}

variable "uploads_retention_days" {
  description = "Days an uploaded file and its error report are kept (conveyor_common.imports.model.RETENTION_DAYS)."
  type        = number
  default     = 30

  validation {
    condition     = var.uploads_retention_days >= 1
    error_message = "uploads_retention_days is at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days the access logs are kept."
  type        = number
  default     = 365
}

variable "uploads_cors_allowed_origins" {
  description = "Origins (scheme://host[:port], e.g. https://app.example.com) whose pages may POST files to the uploads bucket's presigned forms. Empty: no CORS rule."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.uploads_cors_allowed_origins : can(regex("^https?://[^/]+$", origin))])
    error_message = "Each origin is scheme://host[:port], with no path and no trailing slash."
  }
}

variable "force_destroy" {
  description = "Let destroy empty the buckets first (throwaway environments only)."
  type        = bool
  default     = false
}
