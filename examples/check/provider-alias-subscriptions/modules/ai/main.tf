variable "name" {
  type = string
}

resource "azurerm_resource_group" "ai" {
  name     = "rg-${var.name}"
  location = "eastus"
}

resource "azurerm_cognitive_account" "this" {
  name                = "oai-${var.name}"
  location            = azurerm_resource_group.ai.location
  resource_group_name = azurerm_resource_group.ai.name
  kind                = "OpenAI"
  sku_name            = "S0"
}

resource "azurerm_cognitive_deployment" "chat" {
  name                 = "chat"
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
