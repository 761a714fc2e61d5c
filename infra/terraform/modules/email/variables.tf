variable "sender" {
  description = "E-mail address the notifier sends from (SES_SENDER)."
  type        = string
  default     = "no-reply@conveyor.example.com"

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender))
    error_message = "sender is an e-mail address."
  }
}
