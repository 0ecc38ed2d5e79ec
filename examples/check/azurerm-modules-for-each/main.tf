terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.0" }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

variable "subscription_id" {
  type    = string
  default = "11111111-2222-3333-4444-555555555555"
}

variable "location" {
  type    = string
  default = "eastus"
}

variable "deployments" {
  description = "Model deployments: key -> model name and version."
  type = map(object({
    model   = string
    version = string
    sku     = optional(string, "GlobalStandard")
  }))
  default = {}
}

locals {
  prefix = "police-ai"
  tags = {
    env   = "prod"
    owner = "platform"
  }
}

resource "azurerm_resource_group" "ai" {
  name     = "rg-${local.prefix}"
  location = var.location
  tags     = merge(local.tags, { "ai-terms-attested" = "true" })
}

module "openai" {
  source              = "./modules/openai"
  name                = "${local.prefix}-oai"
  resource_group_name = azurerm_resource_group.ai.name
  location            = azurerm_resource_group.ai.location
  deployments         = var.deployments
}

output "account_id" {
  value = module.openai.account_id
}
