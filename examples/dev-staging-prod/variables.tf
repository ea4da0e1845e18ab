variable "name" {
  description = "Application name; environments are `<name>-dev`, `<name>-staging` and `<name>-prod` (so at most 8 characters: a-z, 0-9, -, starting with a letter)."
  type        = string
  default     = "acme"
}

variable "domain" {
  description = "Public name of prod; dev and staging answer on `dev.<domain>` and `staging.<domain>`."
  type        = string
  default     = "app.example.com"
}

variable "image" {
  description = "Container image of the application (listens on 8080, answers GET /healthz); the same image moves from dev to prod."
  type        = string
  default     = "mendhak/http-https-echo:31" # a stand-in that answers every path on 8080
}

variable "database_kms_key_arns" {
  description = "Customer-managed KMS key per environment (dev, staging, prod) for its database storage; a missing entry uses the AWS-managed key. Changing one replaces that database."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "true keeps each tier's deletion protection (prod environment, staging and prod databases); false lifts it everywhere so destroy can run."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for each service's rollout and fails on a rollback. Leave true against AWS; the local emulator never starts tasks."
  type        = bool
  default     = true
}
