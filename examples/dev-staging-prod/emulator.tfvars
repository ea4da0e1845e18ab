# Values for the local AWS emulator (`make demo EXAMPLE=dev-staging-prod`): no deployment waits, and
# no deletion protection, so that a destroy works at once. Against AWS, leave this file out.
wait_for_deployment = false
deletion_protection = false
