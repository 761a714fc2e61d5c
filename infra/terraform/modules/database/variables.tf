variable "identifier" {
  description = "Name of the instance (and of its subnet group, parameter group and security group)."
  type        = string
  default     = "conveyor"
}

variable "database_name" {
  description = "Database created on the instance."
  type        = string
  default     = "conveyor"
}

variable "master_username" {
  description = "Master user; its password is generated and kept by RDS in Secrets Manager, never in Terraform state."
  type        = string
  default     = "conveyor"
}

variable "engine_version" {
  description = "PostgreSQL major version (the parameter group family follows it)."
  type        = string
  default     = "15"
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.medium."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage_gb" {
  description = "Storage allocated at creation, GiB (grows on its own up to max_allocated_storage_gb)."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gb" {
  description = "Ceiling of storage autoscaling, GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "A standby in a second availability zone, failed over to automatically."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days automated backups (and point-in-time restore) reach back."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days is 1 to 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the subnets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "An RDS subnet group needs subnets in at least two availability zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432, by a name known before apply (e.g. producer => the producer tasks' group)."
  type        = map(string)
  default     = {}
}
