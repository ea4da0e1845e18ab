variable "name" {
  description = "Prefix of both environment names (`<name>-us`, `<name>-eu`): a letter, then up to 12 characters of a-z, 0-9 and -."
  type        = string
  default     = "infisical"
}

variable "us_region" {
  description = "AWS region of the US stack."
  type        = string
  default     = "us-east-1"
}

variable "eu_region" {
  description = "AWS region of the EU stack."
  type        = string
  default     = "eu-central-1"
}

variable "us_role_arn" {
  description = "IAM role the US alias assumes (the US account's deployer role); null uses the caller's credentials."
  type        = string
  default     = null
}

variable "eu_role_arn" {
  description = "IAM role the EU alias assumes (the EU account's deployer role); null uses the caller's credentials."
  type        = string
  default     = null
}

variable "us_domain" {
  description = "Public name of the US deployment; ACM issues its certificate once the validation records exist."
  type        = string
  default     = "us.infisical.example.com"
}

variable "eu_domain" {
  description = "Public name of the EU deployment."
  type        = string
  default     = "eu.infisical.example.com"
}

variable "us_certificate_arn" {
  description = "An issued ACM certificate in the US region covering us_domain; null requests one."
  type        = string
  default     = null
}

variable "eu_certificate_arn" {
  description = "An issued ACM certificate in the EU region covering eu_domain; null requests one."
  type        = string
  default     = null
}

variable "image" {
  description = "Infisical container image; pin a release tag in production."
  type        = string
  default     = "infisical/infisical:latest-postgres"
}

variable "us_secrets" {
  description = "Extra variables for the US service: name => SSM parameter ARN or Secrets Manager ARN in the US region (e.g. ENCRYPTION_KEY, AUTH_SECRET, SMTP_PASSWORD)."
  type        = map(string)
  default     = {}
}

variable "eu_secrets" {
  description = "Extra variables for the EU service: name => SSM parameter ARN or Secrets Manager ARN in the EU region."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Deletion protection of both environments and databases (the prod default). Set false in an apply before destroying."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for each service's rollout and fails on a rollback. Leave true against AWS; the local emulator never starts tasks."
  type        = bool
  default     = true
}

variable "license_image" {
  description = "License API container image."
  type        = string
  default     = "infisical/license-api:latest"
}

variable "otel_collector_image" {
  description = "OpenTelemetry collector image, run beside Infisical."
  type        = string
  default     = "otel/opentelemetry-collector-contrib:0.115.0"
}

variable "registry_credentials_secret_arns" {
  description = "Per region (`us`, `eu`): the Secrets Manager secret with the Docker Hub login images are pulled with. Absent: anonymous pulls."
  type        = map(string)
  default     = {}
}
