resource "platform_cache" "sessions" {
  environment_id     = platform_environment.prod.id
  name               = "sessions"
  replicas           = 1
  snapshot_window    = "03:00-04:00"
  maintenance_window = "sun:05:00-sun:06:00"
}
