variable "topic_arn" {
  description = "ARN of the events topic."
  type        = string
}

variable "queue_arns" {
  description = "Main queue ARN per worker (processor, notifier)."
  type        = map(string)

  validation {
    condition     = alltrue([for s in ["processor", "notifier"] : contains(keys(var.queue_arns), s)])
    error_message = "queue_arns names the processor's and the notifier's queue."
  }
}

variable "dead_letter_queue_arns" {
  description = "Dead-letter queue ARN per worker (processor, notifier)."
  type        = map(string)

  validation {
    condition     = alltrue([for s in ["processor", "notifier"] : contains(keys(var.dead_letter_queue_arns), s)])
    error_message = "dead_letter_queue_arns names the processor's and the notifier's DLQ."
  }
}

variable "table_arn" {
  description = "ARN of the state table."
  type        = string
}

variable "exports_bucket_arn" {
  description = "ARN of the exports bucket."
  type        = string
}

variable "uploads_bucket_arn" {
  description = "ARN of the uploads bucket."
  type        = string
}

variable "storage_kms_key_arn" {
  description = "ARN of the key the buckets are encrypted with."
  type        = string
}

variable "ses_identity_arn" {
  description = "ARN of the SES identity the notifier sends from."
  type        = string
}

variable "ses_sender" {
  description = "The sender address (ses:FromAddress)."
  type        = string
}
