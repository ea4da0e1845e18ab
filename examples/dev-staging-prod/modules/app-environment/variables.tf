variable "name" {
  description = "Environment name: 2-16 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
}

variable "tier" {
  description = "dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.tier)
    error_message = "The tier must be dev, staging or prod."
  }
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC; give each environment its own range so they can be peered."
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

variable "database_kms_key_arn" {
  description = "KMS key for the database's storage; null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "true keeps the tier's deletion protection; false lifts it."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for the service's rollout."
  type        = bool
  default     = true
}
