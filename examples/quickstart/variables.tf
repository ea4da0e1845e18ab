variable "name" {
  description = "Environment name: 2-16 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
  default     = "quickstart"
}

variable "team" {
  description = "Value of the team tag on every AWS object."
  type        = string
  default     = "platform"
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "domain" {
  description = "Name the load balancer's certificate is requested for."
  type        = string
  default     = "app.dev.example.com"
}

variable "image" {
  description = "Container image of the web service."
  type        = string
  default     = "public.ecr.aws/nginx/nginx:1.27"
}

variable "wait_for_deployment" {
  description = "Whether apply waits for the service's deployment to finish."
  type        = bool
  default     = false
}
