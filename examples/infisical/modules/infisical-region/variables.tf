variable "name" {
  description = "Environment name: 2-16 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "domain" {
  description = "Public name of this deployment (certificate, routing host and SITE_URL)."
  type        = string
}

variable "certificate_arn" {
  description = "An issued ACM certificate in this region covering domain; null requests one for domain."
  type        = string
  default     = null
}

variable "image" {
  description = "Infisical container image."
  type        = string
}

variable "secrets" {
  description = "Extra service variables: name => SSM parameter ARN or Secrets Manager ARN (optionally `<arn>:<json-key>::`)."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Deletion protection of the environment and the database."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for the service's rollout."
  type        = bool
  default     = true
}

variable "license_image" {
  description = "License API container image."
  type        = string
}

variable "otel_collector_image" {
  description = "OpenTelemetry collector image of the sidecar."
  type        = string
}

variable "registry_credentials_secret_arn" {
  description = "Secrets Manager secret with the Docker Hub login (username, password) images are pulled with; null pulls anonymously."
  type        = string
  default     = null
}
