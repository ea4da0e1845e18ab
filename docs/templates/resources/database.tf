resource "platform_database" "main" {
  environment_id = platform_environment.prod.id
  name           = "main"
  engine_version = "17"

  storage {
    allocated_gib     = 100
    max_allocated_gib = 500
  }

  backup {
    window = "03:00-04:00"
  }
  maintenance_window = "sun:05:00-sun:06:00"
}
