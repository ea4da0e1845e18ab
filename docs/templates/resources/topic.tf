resource "platform_topic" "orders" {
  environment_id = platform_environment.prod.id
  name           = "orders"
}

# A service publishing to it gets ORDERS_TOPIC_ARN and sns:Publish on exactly this topic.
resource "platform_service" "checkout" {
  environment_id = platform_environment.prod.id
  name           = "checkout"
  image          = "registry.example.com/checkout:1.4.2"
  publish_to     = [platform_topic.orders.id]
}
