variable "name" {
  description = "Environment name: 2-16 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
}

variable "tier" {
  description = "dev, staging or prod: the defaults for everything not set here."
  type        = string
}

variable "domain" {
  description = "Public name of the environment: certificate and routing host."
  type        = string
}

variable "image" {
  description = "Container image of the application."
  type        = string
}

variable "secrets" {
  description = "Secret variables: name => Secrets Manager ARN or SSM parameter ARN."
  type        = map(string)
  default     = {}
}

variable "generated_secrets" {
  description = "Secret variables whose random value the provider makes in Secrets Manager."
  type        = list(string)
  default     = ["JWT_SECRET"]
}

variable "nat_mode" {
  description = "single (one NAT gateway) or per_az."
  type        = string
}

variable "cpu" {
  description = "CPU units per task."
  type        = number
}

variable "memory" {
  description = "MiB per task; a size Fargate allows with cpu."
  type        = number
}

variable "desired_count" {
  description = "Tasks at first deployment; autoscaling owns the count afterwards."
  type        = number
}

variable "min_tasks" {
  description = "Autoscaling minimum."
  type        = number
}

variable "max_tasks" {
  description = "Autoscaling maximum."
  type        = number
}

variable "cpu_target" {
  description = "Average CPU percent autoscaling holds."
  type        = number
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_multi_az" {
  description = "Whether the database has a standby in a second AZ."
  type        = bool
}

variable "db_storage_gib" {
  description = "Initial gp3 storage; autoscaling may grow it to five times this."
  type        = number
}

variable "db_backup_days" {
  description = "Days of automated backups."
  type        = number
}

variable "deletion_protection" {
  description = "Deletion protection of the environment and the database."
  type        = bool
}

variable "wait_for_deployment" {
  description = "Whether apply waits for the service's rollout."
  type        = bool
  default     = true
}
