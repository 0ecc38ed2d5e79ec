# The resource group's name is known only after apply (a random suffix): the account is placed in it by
# reference, so the resource group block is the one whose tags and location the policies read.
resource "random_string" "s" {
  length  = 6
  special = false
}

resource "azurerm_resource_group" "rg" {
  name     = "rg-${random_string.s.result}"
  location = "eastus"
}

resource "azurerm_cognitive_account" "a" {
  name                = "acct"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  resource_group_name = azurerm_resource_group.rg.name
}

resource "azurerm_cognitive_deployment" "d" {
  name                 = "dep"
  cognitive_account_id = azurerm_cognitive_account.a.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
