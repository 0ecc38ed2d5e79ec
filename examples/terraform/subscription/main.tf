# Deploy the definitions at a management group and assign them to one subscription only, in audit
# mode first. Written by people (not generated).
terraform {
  required_version = ">= 1.9"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4, < 6"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "management_group_id" {
  type        = string
  description = "Management group that holds the definitions."
}

variable "subscription_id" {
  type        = string
  description = "Subscription to assign, as /subscriptions/<guid>."
}

module "aoai_law_enforcement_definitions" {
  source = "../../../modules/aoai-law-enforcement-definitions"

  management_group_id = var.management_group_id
}

module "aoai_law_enforcement_assignment" {
  source = "../../../modules/aoai-law-enforcement-assignment"

  policy_set_definition_id  = module.aoai_law_enforcement_definitions.policy_set_definition_id
  scope_id                  = var.subscription_id
  mobile_realtime_fr_effect = "Audit"
  us_police_effect          = "Audit"
}

output "policy_assignment_id" {
  description = "Id of the assignment."
  value       = module.aoai_law_enforcement_assignment.policy_assignment_id
}
