resource "platform_topic" "orders" {
  environment_id = platform_environment.prod.id
  name           = "orders"
}

resource "platform_queue" "fulfilment" {
  environment_id     = platform_environment.prod.id
  name               = "fulfilment"
  visibility_timeout = 120
  subscribe_to       = [platform_topic.orders.id]

  dead_letter {
    max_receives = 3
  }
}
