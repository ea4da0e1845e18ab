resource "platform_bucket" "uploads" {
  environment_id = platform_environment.prod.id
  name           = "uploads"

  cors {
    allowed_origins = ["https://app.example.com"]
    allowed_methods = ["GET", "PUT"]
  }
}

# The service gets UPLOADS_BUCKET and may read and write exactly this bucket's objects.
resource "platform_service" "api" {
  environment_id = platform_environment.prod.id
  name           = "api"
  image          = "registry.example.com/api:2.3.0"

  bucket_access {
    bucket_id = platform_bucket.uploads.id
    mode      = "read_write"
  }
}

# Static assets on cdn.example.com: the bucket stays private and only this distribution may
# read it. The certificate is in us-east-1 and covers the alias; point cdn.example.com at
# cdn_domain_name in DNS.
resource "platform_bucket" "assets" {
  environment_id = platform_environment.prod.id
  name           = "assets"

  cdn {
    aliases         = ["cdn.example.com"]
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
  }
}

output "assets_url" {
  value = platform_bucket.assets.url # https://cdn.example.com
}
