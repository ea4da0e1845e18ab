resource "platform_environment" "prod" {
  name = "prod"
  tier = "prod" # 3 AZs, a NAT gateway per AZ, flow logs, deletion protection

  network {
    cidr = "10.40.0.0/16"
  }

  # The shared HTTPS load balancer, with a DNS-validated ACM certificate.
  ingress {
    domain             = "example.com"
    additional_domains = ["*.example.com"]
  }

  tags = {
    team = "platform"
  }
}

# Create these records in your DNS zone; the HTTPS listener waits for the certificate.
output "certificate_validation_records" {
  value = platform_environment.prod.certificate_validation_records
}
