# The deployments come from a variable given at apply time (a pipeline variable, a tfvars file that
# is not in the repository). How many there are, and their keys, is unknown here; the model is not.
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

variable "deployment_names" {
  type = set(string)
}

resource "azurerm_resource_group" "ai" {
  name     = "rg-ai"
  location = "eastus"
}

resource "azurerm_cognitive_account" "this" {
  name                = "oai-patrol"
  location            = azurerm_resource_group.ai.location
  resource_group_name = azurerm_resource_group.ai.name
  kind                = "OpenAI"
  sku_name            = "S0"
}

resource "azurerm_cognitive_deployment" "vision" {
  for_each             = var.deployment_names
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.this.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
