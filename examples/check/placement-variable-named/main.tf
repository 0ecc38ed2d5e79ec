# The account is named by a variable that has no value: its id is unknown, but it still tells which
# resource group its deployment lands in (the one created here, whose name is also known only after apply).
variable "account_name" {
  type = string
}

resource "random_pet" "p" {}

resource "azurerm_resource_group" "rg" {
  name     = "rg-${random_pet.p.id}"
  location = "francecentral"
}

resource "azurerm_cognitive_account" "a" {
  name                = var.account_name
  location            = azurerm_resource_group.rg.location
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
