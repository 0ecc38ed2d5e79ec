provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
variable "loc" { type = string }
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "eastus"
}
resource "azurerm_resource_group_template_deployment" "t" {
  name                = "t"
  resource_group_name = azurerm_resource_group.rg.name
  deployment_mode     = "Incremental"
  template_content = jsonencode({
    "$schema"      = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    contentVersion = "1.0.0.0"
    resources = [{
      type       = "Microsoft.CognitiveServices/accounts/deployments"
      apiVersion = "2024-10-01"
      name       = "acct/dep"
      location   = var.loc
      sku        = { name = "Standard", capacity = 1 }
      properties = { model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" } }
    }]
  })
}
