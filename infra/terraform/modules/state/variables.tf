variable "table_name" {
  description = "Name of the state table (STATE_TABLE)."
  type        = string
  default     = "conveyor-state"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name is 3 to 255 letters, digits, _, . or -."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the table (off only for throwaway environments)."
  type        = bool
  default     = true
}
