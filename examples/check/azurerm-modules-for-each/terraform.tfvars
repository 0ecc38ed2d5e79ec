deployments = {
  chat = {
    model   = "gpt-4o"
    version = "2024-11-20"
    sku     = "GlobalStandard"
  }
  # named "gpt-4" but runs gpt-4o: its model decides, never its name
  "gpt-4" = {
    model   = "gpt-4o"
    version = "2024-08-06"
    sku     = "Standard"
  }
  vision = {
    model   = "gpt-4.1"
    version = "2025-04-14"
    # sku: optional() default in the variable's type
  }
}
