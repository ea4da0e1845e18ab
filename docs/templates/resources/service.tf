resource "platform_service" "api" {
  environment_id = platform_environment.prod.id
  name           = "api"
  image          = "public.ecr.aws/nginx/nginx:1.27"
  port           = 8080
  cpu            = 512
  memory         = 1024

  environment_variables = {
    LOG_LEVEL = "info"
  }
  database_access = [platform_database.main.id]  # DATABASE_URL and PG* variables
  cache_access    = [platform_cache.sessions.id] # REDIS_URL

  routing {
    hosts = ["api.example.com"]
    health_check {
      path = "/healthz"
    }
  }

  autoscaling {
    max        = 6
    cpu_target = 60
  }

  # EventBridge Scheduler runs the current task definition with another command.
  schedule {
    name       = "nightly-cleanup"
    expression = "cron(0 3 * * ? *)"
    timezone   = "Europe/Paris"
    command    = ["bin/cleanup", "--older-than=30d"]
  }
}
