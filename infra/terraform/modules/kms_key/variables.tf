variable "alias" {
  description = "The key's alias, without the alias/ prefix (e.g. conveyor-storage)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]+$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias is letters, digits, /, _ and -, and must not start with aws/."
  }
}

variable "description" {
  description = "What the key encrypts."
  type        = string
}

variable "service_principals" {
  description = "AWS service principals (e.g. cloudwatch.amazonaws.com) that may use the key for this account's resources, each with the condition that scopes it, if any."
  type = list(object({
    identifier = string
    condition = optional(object({
      test     = string
      variable = string
      values   = list(string)
    }))
  }))
  default = []
}

variable "deletion_window_in_days" {
  description = "Days a scheduled deletion waits, during which it can be cancelled."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days is 7 to 30."
  }
}
