# azapi only: a resource group without parent_id lands in the provider's subscription (azapi's default);
# the account's parent_id names it, the deployment's parent_id names the account.
resource "random_string" "s" {
  length  = 6
  special = false
}

resource "azapi_resource" "rg" {
  type     = "Microsoft.Resources/resourceGroups@2021-04-01"
  name     = "rg-${random_string.s.result}"
  location = "eastus"
}

resource "azapi_resource" "acct" {
  type      = "Microsoft.CognitiveServices/accounts@2024-10-01"
  name      = "acct"
  parent_id = azapi_resource.rg.id
  location  = "eastus"
  body = {
    kind = "OpenAI"
    sku  = { name = "S0" }
    properties = {}
  }
}

resource "azapi_resource" "dep" {
  type      = "Microsoft.CognitiveServices/accounts/deployments@2024-10-01"
  name      = "dep"
  parent_id = azapi_resource.acct.id
  body = {
    sku = { name = "Standard", capacity = 1 }
    properties = {
      model = { format = "OpenAI", name = "gpt-4o", version = "2024-11-20" }
    }
  }
}
