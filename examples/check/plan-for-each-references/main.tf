# The configuration the plan in plan.json was made from (for --source: file:line and locals).
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

variable "deployments" {
  type = map(object({ site = string }))
  default = {
    face-cams   = { site = "cams" }
    face-patrol = { site = "patrol" }
  }
}

locals {
  sites = {
    cams   = { rg = "rg-cams", camera_context = "stationary-controlled" }
    patrol = { rg = "rg-patrol", camera_context = null }
  }
  # A plan's configuration has no locals: only --source lets check follow this one.
  cams_account_id = azurerm_cognitive_account.acc["cams"].id
}

resource "azurerm_resource_group" "rg" {
  for_each = local.sites
  name     = each.value.rg
  location = "francecentral"
  tags     = each.value.camera_context == null ? {} : { "camera-context" = each.value.camera_context }
}

resource "azurerm_cognitive_account" "acc" {
  for_each              = local.sites
  name                  = "${each.key}-oai"
  location              = "francecentral"
  resource_group_name   = azurerm_resource_group.rg[each.key].name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "${each.key}-oai"
}

# cognitive_account_id = acc[each.key].id: the plan records ["azurerm_cognitive_account.acc", "each.key"]
resource "azurerm_cognitive_deployment" "vision" {
  for_each             = local.sites
  name                 = "vision"
  cognitive_account_id = azurerm_cognitive_account.acc[each.key].id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "GlobalStandard"
  }
}

# for_each over the accounts themselves: each.value is the account with the same key
resource "azurerm_cognitive_deployment" "chained" {
  for_each             = azurerm_cognitive_account.acc
  name                 = "chat"
  cognitive_account_id = each.value.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "GlobalStandard"
  }
}

resource "azurerm_cognitive_deployment" "via_local" {
  name                 = "gpt-4"
  cognitive_account_id = local.cams_account_id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "GlobalStandard"
  }
}

# for_each over a root variable, the account picked by each.value.site: the plan records
# ["azurerm_cognitive_account.acc", "each.value.site", "each.value"] and the variable's value
resource "azurerm_cognitive_deployment" "by_site" {
  for_each             = var.deployments
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.acc[each.value.site].id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name = "GlobalStandard"
  }
}
