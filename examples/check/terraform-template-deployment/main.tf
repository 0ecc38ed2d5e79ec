# A Video Indexer account deployed through an ARM template from Terraform. clausegate reads the
# template with its ARM template reader, at the resource group the deployment targets.
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

resource "azurerm_resource_group" "media" {
  name     = "rg-media"
  location = "eastus"
}

resource "azurerm_resource_group_template_deployment" "video_indexer" {
  name                = "video-indexer"
  resource_group_name = azurerm_resource_group.media.name
  deployment_mode     = "Incremental"
  template_content    = file("${path.module}/video-indexer.json")
  parameters_content = jsonencode({
    accountName = { value = "police-media-vi" }
  })
}
