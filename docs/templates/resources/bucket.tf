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
