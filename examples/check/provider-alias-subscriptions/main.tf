# Two subscriptions in one configuration: the platform team's (the default provider) and a police
# department's (alias "police"). The AI stack is deployed with the police provider, so it lands in
# the police subscription whose tags (context.yaml) the policies read.
provider "azurerm" {
  features {}
  subscription_id = "11111111-1111-1111-1111-111111111111"
}

provider "azurerm" {
  alias           = "police"
  features {}
  subscription_id = "22222222-2222-2222-2222-222222222222"
}

resource "azurerm_resource_group" "platform" {
  name     = "rg-platform"
  location = "eastus"
}

module "vision" {
  source    = "./modules/ai"
  providers = { azurerm = azurerm.police }
  name      = "vision"
}

module "platform_ai" {
  source = "./modules/ai"
  name   = "platform"
}
