variable "name" {
  description = "Application name; the environments are `<name>-dev` and `<name>-prod` (so at most 11 characters: a-z, 0-9, -, starting with a letter)."
  type        = string
  default     = "infracast"
}

variable "dev_domain" {
  description = "Public name of the dev environment."
  type        = string
  default     = "dev.infracast.example.com"
}

variable "prod_domain" {
  description = "Public name of the prod environment."
  type        = string
  default     = "app.infracast.example.com"
}

variable "image" {
  description = "Container image of the application (listens on 8080, answers GET /healthz)."
  type        = string
  default     = "mendhak/http-https-echo:31" # a stand-in that answers every path on 8080
}

variable "dev_secrets" {
  description = "More secret variables of the dev service: name => Secrets Manager ARN or SSM parameter ARN (JWT_SECRET is generated)."
  type        = map(string)
  default     = {}
}

variable "prod_secrets" {
  description = "More secret variables of the prod service: name => Secrets Manager ARN or SSM parameter ARN (JWT_SECRET is generated)."
  type        = map(string)
  default     = {}
}

variable "prod_deletion_protection" {
  description = "Deletion protection of the prod environment and database. Set false in an apply before destroying prod."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for each service's rollout and fails on a rollback. Leave true against AWS; the local emulator never starts tasks."
  type        = bool
  default     = true
}
