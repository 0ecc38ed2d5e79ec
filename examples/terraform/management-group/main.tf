# Deploy the shipped pack at a management group and assign it there, with one expiring exemption.
# Written by people (not generated): copy it as the root configuration of your own deployment.
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

variable "management_group_name" {
  type        = string
  default     = "police"
  description = "Name of the management group that holds the law-enforcement subscriptions."
}

locals {
  management_group_id = "/providers/Microsoft.Management/managementGroups/${var.management_group_name}"
}

module "aoai_law_enforcement_definitions" {
  source = "../../../modules/aoai-law-enforcement-definitions"

  management_group_id = local.management_group_id
}

module "aoai_law_enforcement_assignment" {
  source = "../../../modules/aoai-law-enforcement-assignment"

  policy_set_definition_id = module.aoai_law_enforcement_definitions.policy_set_definition_id
  scope_id                 = local.management_group_id
  # Every subscription below this management group is law enforcement, whatever its tags say.
  treat_scope_as_law_enforcement = true

  exemptions = {
    "lab-stationary-pilot" = {
      exemption_category              = "Mitigated"
      expires_on                      = "2027-03-31T00:00:00Z"
      scope_id                        = "/subscriptions/00000000-0000-0000-0000-000000000000"
      description                     = "Stationary-camera pilot in a controlled lab; reviewed by legal on 2026-11-01."
      policy_definition_reference_ids = ["mobile-realtime-fr"]
    }
  }
}

output "policy_assignment_id" {
  description = "Id of the assignment."
  value       = module.aoai_law_enforcement_assignment.policy_assignment_id
}
