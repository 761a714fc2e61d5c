variable "name_prefix" {
  description = "Prefix of every name: <prefix>-events, <prefix>-<service>, <prefix>-<service>-dlq."
  type        = string
  default     = "conveyor"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name_prefix))
    error_message = "name_prefix is lower-case letters, digits and dashes, starting with a letter, at most 31 characters."
  }
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden before SQS hands it out again (the broker's heartbeat extends it)."
  type        = number
  default     = 300

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds is 0 to 43200 (12 h)."
  }
}

variable "message_retention_seconds" {
  description = "How long a main queue keeps a message nobody deleted."
  type        = number
  default     = 345600 # 4 days
}

variable "dead_letter_retention_seconds" {
  description = "How long a DLQ keeps a parked message: longer than the main queue, so failures can be inspected."
  type        = number
  default     = 1209600 # 14 days, the SQS maximum

  validation {
    condition     = var.dead_letter_retention_seconds >= 60 && var.dead_letter_retention_seconds <= 1209600
    error_message = "dead_letter_retention_seconds is 60 to 1209600 (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives before SQS moves a message to the DLQ (conveyor_aws.resources.MAX_RECEIVE_COUNT)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1
    error_message = "max_receive_count is at least 1."
  }
}
