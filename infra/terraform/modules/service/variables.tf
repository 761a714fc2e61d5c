variable "name" {
  description = "The service: producer, processor or notifier (names its repository, log group, roles and ECS service)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}$", var.name))
    error_message = "name is lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "name_prefix" {
  description = "Prefix of every name (<prefix>-<name>)."
  type        = string
  default     = "conveyor"
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "image_tag" {
  description = "Tag of the image in the service's ECR repository (tags are immutable: a release is a new tag)."
  type        = string

  validation {
    condition     = var.image_tag != "" && var.image_tag != "latest"
    error_message = "image_tag names a release; \"latest\" cannot be pushed twice to an immutable repository."
  }
}

variable "cpu" {
  description = "Fargate CPU units of the task (256 = 1/4 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory of the task, MiB."
  type        = number
  default     = 512
}

variable "desired_count" {
  description = "Tasks to run at creation. Later changes are left to autoscaling (or made with `aws ecs update-service`): Terraform ignores the running count, which autoscaling moves."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 0
    error_message = "desired_count is not negative."
  }
}

variable "command" {
  description = "The container's command, e.g. [\"python\", \"-m\", \"conveyor_processor\"]."
  type        = list(string)
}

variable "init_container" {
  description = "A container that must run to completion in the same image before the service's own starts (the processor's migrations): its name and command; null for none."
  type = object({
    name    = string
    command = list(string)
  })
  default = null
}

variable "environment" {
  description = "Plain environment variables (never secrets)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager when a task starts: name => { arn, key } (key: a JSON field of the secret, or null for the whole value)."
  type = map(object({
    arn = string
    key = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.secrets) : can(regex("^arn:[a-z-]+:secretsmanager:", s.arn))])
    error_message = "Each secret's arn is a Secrets Manager secret ARN."
  }
}

variable "secrets_kms_key_arns" {
  description = "Customer-managed keys the secrets are encrypted with (the execution role decrypts with them)."
  type        = list(string)
  default     = []
}

variable "port" {
  description = "Port the container serves on (the producer's API, a worker's /metrics); null for none."
  type        = number
  default     = null
}

variable "scraper_security_group_ids" {
  description = "Security groups (of a Prometheus or its agent) whose members may reach port, to scrape /metrics."
  type        = list(string)
  default     = []
}

variable "health_check" {
  description = "The container's health check: a command run inside it (exit 0 = healthy), with ECS's timings in seconds."
  type = object({
    command      = list(string)
    interval     = optional(number, 30)
    timeout      = optional(number, 10)
    retries      = optional(number, 3)
    start_period = optional(number, 60)
  })
}

variable "task_role_policy_json" {
  description = "The task role's policy document: every AWS call the service's code makes, and nothing else (modules/task_policies)."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the service's logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days is one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 365, ... 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "Key the log group is encrypted with (its policy must let logs.<region>.amazonaws.com use it)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the subnets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the tasks (with a NAT gateway or VPC endpoints to reach AWS)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids names at least one subnet."
  }
}

variable "load_balancer" {
  description = "An internet-facing ALB with an HTTPS listener in front of port (the producer); null for none."
  type = object({
    certificate_arn     = string
    subnet_ids          = list(string)
    ingress_cidr_blocks = optional(list(string), ["0.0.0.0/0"])
    health_check_path   = optional(string, "/health")
    access_logs_bucket  = string
    deletion_protection = optional(bool, true)
  })
  default = null
}

variable "queue_autoscaling" {
  description = "Target tracking on messages visible in queue_name per running task (the workers); null for a fixed desired_count."
  type = object({
    queue_name        = string
    messages_per_task = optional(number, 100)
    min_capacity      = optional(number, 1)
    max_capacity      = optional(number, 4)
  })
  default = null

  validation {
    condition     = var.queue_autoscaling == null || try(var.queue_autoscaling.min_capacity >= 1 && var.queue_autoscaling.max_capacity >= var.queue_autoscaling.min_capacity, false)
    error_message = "queue_autoscaling needs 1 <= min_capacity <= max_capacity: with no task running, messages per task is undefined."
  }
}
