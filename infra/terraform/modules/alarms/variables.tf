variable "name_prefix" {
  description = "Prefix of the alarm names and of the alarm topic (<prefix>-alarms)."
  type        = string
  default     = "conveyor"
}

variable "dead_letter_queue_names" {
  description = "DLQ name per worker: any message in one is an alarm."
  type        = map(string)
}

variable "queue_names" {
  description = "Main queue name per worker: its oldest message's age is watched."
  type        = map(string)
}

variable "oldest_message_age_seconds" {
  description = "Alarm when a main queue's oldest message has waited longer than this."
  type        = number
  default     = 900

  validation {
    condition     = var.oldest_message_age_seconds >= 60
    error_message = "oldest_message_age_seconds is at least 60."
  }
}

variable "load_balancer" {
  description = "The producer's ALB and target group (their CloudWatch dimensions, the arn_suffix attributes); null for none."
  type = object({
    arn_suffix              = string
    target_group_arn_suffix = string
  })
  default = null
}

variable "max_5xx_percent" {
  description = "Alarm when more than this percentage of the API's requests in 5 minutes end in a 5xx (from the tasks or the ALB)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_5xx_percent > 0 && var.max_5xx_percent <= 100
    error_message = "max_5xx_percent is above 0 and at most 100."
  }
}

variable "email_subscribers" {
  description = "Addresses the alarm topic e-mails (each confirms its subscription)."
  type        = list(string)
  default     = []
}
