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
