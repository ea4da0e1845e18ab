# Values for the local AWS emulator (`make demo EXAMPLE=infracast`): no deployment waits, and
# no deletion protection on prod, so that a destroy works at once. Against AWS, leave this file out.
wait_for_deployment      = false
prod_deletion_protection = false
