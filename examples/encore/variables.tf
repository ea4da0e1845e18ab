variable "app" {
  description = "Application name; environments are `<app>-staging` and `<app>-prod` (so at most 8 characters: a-z, 0-9, -, starting with a letter)."
  type        = string
  default     = "encore"
}

variable "domain" {
  description = "Public name of prod; staging answers on `staging.<domain>`."
  type        = string
  default     = "api.example.com"
}

variable "image_repository" {
  description = "Registry path holding one repository per service (`<repository>/<service>:<tag>`), e.g. an ECR registry made alongside."
  type        = string
  default     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/encore"
}

variable "image_tag" {
  description = "Tag of the first deployment of each service; CI deploys later ones."
  type        = string
  default     = "v1"
}

variable "secrets" {
  description = "Secret variables per service: service => (name => Secrets Manager or SSM parameter ARN)."
  type        = map(map(string))
  default     = {}
}

variable "deletion_protection" {
  description = "true keeps each tier's deletion protection (prod environments, staging and prod databases); false lifts it everywhere so destroy can run."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for each service's rollout and fails on a rollback. Leave true against AWS; the local emulator never starts tasks."
  type        = bool
  default     = true
}
