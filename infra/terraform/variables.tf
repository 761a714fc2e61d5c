variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator (moto, LocalStack), e.g. http://127.0.0.1:5000. Null targets real AWS."
  type        = string
  default     = null
}

variable "exports_bucket_name" {
  description = "Name of the S3 bucket that holds generated exports (globally unique on real AWS)."
  type        = string
  default     = "conveyor-exports"
}

variable "uploads_bucket_name" {
  description = "Name of the private S3 bucket for uploaded files (globally unique on real AWS)."
  type        = string
  default     = "conveyor-uploads"
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

variable "ses_sender" {
  description = "Email address the notifier sends from; created as an SES email identity."
  type        = string
  default     = "no-reply@conveyor.example.com"
}

variable "skip_ses" {
  description = "Passed to the services as SKIP_SES: log emails instead of sending them."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "LOG_LEVEL for the services."
  type        = string
  default     = "INFO"
}

variable "otel_exporter_otlp_endpoint" {
  description = "OTEL_EXPORTER_OTLP_ENDPOINT for the services: an OTLP/HTTP receiver (e.g. a collector sidecar, http://localhost:4318). Null: tracing off."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---- ECS Fargate services ----

variable "deploy_services" {
  description = "Create the ECS cluster, task definitions and services. Off for infrastructure-only applies (emulators, CI)."
  type        = bool
  default     = true
}

variable "images" {
  description = "Each service's container image, built from services/<service>/Dockerfile, e.g. producer = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/conveyor-producer:1.0.0\". The processor's image also runs the migrations."
  type = object({
    producer  = string
    processor = string
    notifier  = string
  })
  default = null
}

variable "database_url" {
  description = "PostgreSQL URL (postgresql://user:pass@host:5432/db) used by the producer and processor."
  type        = string
  default     = null
  sensitive   = true
}

variable "jwt_secret" {
  description = "HS256 secret the producer verifies API tokens with. Needed only without jwks_url, and refused with it (the API would not use it: see output producer_auth_env)."
  type        = string
  default     = null
  sensitive   = true
}

variable "jwks_url" {
  description = "HTTPS URL of the identity provider's JSON Web Key Set (JWKS_URL). Tokens are then RS256 or ES256, signed by one of its keys."
  type        = string
  default     = null

  validation {
    condition     = var.jwks_url == null || can(regex("^https://[^/?#]+", var.jwks_url))
    error_message = "jwks_url must be an https:// URL: the key set decides which tokens are trusted."
  }
}

variable "jwt_audience" {
  description = "The aud claim every API token must carry (JWT_AUDIENCE); null checks none."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_audience == null || var.jwt_audience != ""
    error_message = "jwt_audience is null (no check) or a non-empty string."
  }
}

variable "jwt_issuer" {
  description = "The iss claim every API token must carry (JWT_ISSUER), e.g. the identity provider's issuer URL; null checks none."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_issuer == null || var.jwt_issuer != ""
    error_message = "jwt_issuer is null (no check) or a non-empty string."
  }
}

variable "subnet_ids" {
  description = "Subnets for the Fargate tasks (private subnets with NAT or VPC endpoints)."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the Fargate tasks; the producer's must allow inbound on producer_port from its clients."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give tasks a public IP (only for subnets without NAT)."
  type        = bool
  default     = false
}

variable "producer_port" {
  description = "Port the producer API listens on (PORT)."
  type        = number
  default     = 8000
}

variable "desired_count" {
  description = "Number of running tasks per service."
  type        = map(number)
  default     = { producer = 1, processor = 1, notifier = 1 }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the service log groups."
  type        = number
  default     = 30
}
