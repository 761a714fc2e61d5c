variable "aws_region" {
  description = "AWS region for every resource."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every name (topic <prefix>-events, queues <prefix>-<service>, table <prefix>-state, ...)."
  type        = string
  default     = "conveyor"
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---- networking: an existing VPC ----

variable "vpc_id" {
  description = "VPC everything runs in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two availability zones) for the tasks and the database; they reach AWS APIs through a NAT gateway or VPC endpoints."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids names subnets in at least two availability zones."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two availability zones) for the API's load balancer."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids names subnets in at least two availability zones."
  }
}

variable "api_ingress_cidr_blocks" {
  description = "Who may reach the API's load balancer on 443: the e-mailed download links lead through it too."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "metrics_scraper_security_group_ids" {
  description = "Security groups (of a Prometheus or its agent) that may scrape each service's /metrics: the producer's API port, each worker's METRICS_PORT. None by default."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate of the API's domain, served by the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:acm:", var.certificate_arn))
    error_message = "certificate_arn is an ACM certificate ARN."
  }
}

variable "api_public_url" {
  description = "The API's address on its certificate's domain (https://api.example.com), as the people it e-mails reach it: their links to exports and error reports lead through it."
  type        = string

  validation {
    condition     = can(regex("^https://[^/?#]+/?$", var.api_public_url))
    error_message = "api_public_url is an https:// address with no path, such as https://api.example.com."
  }
}

# ---- storage, e-mail ----

variable "exports_bucket_name" {
  description = "Name of the exports bucket (globally unique)."
  type        = string
}

variable "uploads_bucket_name" {
  description = "Name of the uploads bucket (globally unique)."
  type        = string
}

variable "logs_bucket_name" {
  description = "Name of the access-logs bucket (globally unique)."
  type        = string
}

variable "uploads_cors_allowed_origins" {
  description = "Origins (scheme://host[:port]) whose pages may POST files to the uploads bucket's presigned forms. Empty: no CORS rule."
  type        = list(string)
  default     = []
}

variable "ses_sender" {
  description = "E-mail address the notifier sends from; created as an SES e-mail identity."
  type        = string
}

# ---- the services ----

variable "image_tag" {
  description = "Tag of the release pushed to each service's ECR repository (<prefix>-producer, -processor, -notifier)."
  type        = string
}

variable "desired_count" {
  description = "Tasks per service at creation (the workers then follow their queue between autoscaling's bounds)."
  type        = map(number)
  default     = { producer = 2, processor = 1, notifier = 1 }
}

variable "worker_scaling" {
  description = "Each worker's autoscaling: messages visible per running task to aim for, and the task count's bounds."
  type = map(object({
    messages_per_task = number
    min_capacity      = number
    max_capacity      = number
  }))
  default = {
    processor = { messages_per_task = 50, min_capacity = 1, max_capacity = 6 }
    notifier  = { messages_per_task = 200, min_capacity = 1, max_capacity = 3 }
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the service log groups."
  type        = number
  default     = 365
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

variable "skip_ses" {
  description = "Passed to the services as SKIP_SES: log e-mails instead of sending them."
  type        = bool
  default     = false
}

# ---- tokens: a key set (production) or a shared secret (development), not both ----

variable "jwks_url" {
  description = "HTTPS URL of the identity provider's JSON Web Key Set (JWKS_URL). Tokens are then RS256 or ES256, signed by one of its keys."
  type        = string
  default     = null

  validation {
    condition     = var.jwks_url == null || can(regex("^https://[^/?#]+", var.jwks_url))
    error_message = "jwks_url must be an https:// URL: the key set decides which tokens are trusted."
  }

  validation {
    condition     = (var.jwks_url == null) != (var.jwt_secret_arn == null)
    error_message = "Set jwks_url or jwt_secret_arn, exactly one: with a key set the API refuses HS256 tokens."
  }
}

variable "jwt_secret_arn" {
  description = "Secrets Manager secret holding the HS256 secret (JWT_SECRET) when no jwks_url is set. Only its ARN passes through Terraform."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_secret_arn == null || can(regex("^arn:[a-z-]+:secretsmanager:", var.jwt_secret_arn))
    error_message = "jwt_secret_arn is a Secrets Manager secret ARN."
  }
}

variable "jwt_audience" {
  description = "The aud claim every API token must carry (JWT_AUDIENCE); null checks none."
  type        = string
  default     = null
}

variable "jwt_issuer" {
  description = "The iss claim every API token must carry (JWT_ISSUER); null checks none."
  type        = string
  default     = null
}

# ---- database, alarms ----

variable "database_multi_az" {
  description = "Run PostgreSQL with a standby in a second availability zone."
  type        = bool
  default     = true
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "alarm_emails" {
  description = "Addresses the alarm topic e-mails."
  type        = list(string)
  default     = []
}
