variable "name" {
  description = "Environment name: 2-16 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
  default     = "webapp"
}

variable "tier" {
  description = "dev, staging or prod: sets every default (AZs, NAT, log retention, instance sizes, protection)."
  type        = string
  default     = "prod"
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "domain" {
  description = "The site's name; the certificate also covers www.<domain>, which routes to the same service."
  type        = string
  default     = "shop.example.com"
}

variable "image" {
  description = "Container image of the web application."
  type        = string
  default     = "public.ecr.aws/nginx/nginx:1.27"
}

variable "port" {
  description = "Port the application listens on."
  type        = number
  default     = 80
}

variable "read_only_root_filesystem" {
  description = "Whether the container's root file system is read-only (off here: nginx writes its cache and pid files)."
  type        = bool
  default     = false
}

variable "cpu" {
  description = "CPU units per task (256, 512, 1024, ...)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "MiB per task; a size Fargate allows with cpu."
  type        = number
  default     = 1024
}

variable "health_check_path" {
  description = "Path the load balancer checks on each task."
  type        = string
  default     = "/"
}

variable "min_tasks" {
  description = "Autoscaling minimum (Beanstalk's MinSize)."
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Autoscaling maximum (Beanstalk's MaxSize)."
  type        = number
  default     = 6
}

variable "cpu_target" {
  description = "Average CPU percent autoscaling holds."
  type        = number
  default     = 60
}

variable "environment_variables" {
  description = "Plain environment properties of the application."
  type        = map(string)
  default = {
    APP_ENV = "production"
  }
}

variable "secrets" {
  description = "Secret environment properties: name => Secrets Manager ARN or SSM parameter ARN."
  type        = map(string)
  default     = {}
}

variable "task_policy_json" {
  description = "Extra task-role statements (what the instance profile allowed), as an IAM policy document; null for none."
  type        = string
  default     = null
}

variable "task_managed_policy_arns" {
  description = "Managed policies attached to the task role."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "true keeps the tier's deletion protection (prod environment, staging and prod database); false lifts it so destroy can run."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Whether apply waits for the rollout and fails on a rollback. Leave true against AWS; the local emulator never starts tasks."
  type        = bool
  default     = true
}

variable "cdn_certificate_arn" {
  description = "An ACM certificate in us-east-1 covering cdn.<domain>, for the assets' CloudFront distribution; null serves them on the distribution's own cloudfront.net name."
  type        = string
  default     = null
}
