"""for_each / count instances: what does not read each or count is evaluated once and shared, and the result
is exactly what evaluating every instance gives; instances never share a container."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.terraform.tfconfig import read_directory
from generator.terraform.tfconfig import reader as hcl_reader

MAIN = '''
locals {
  models = { a = "gpt-4o", b = "gpt-4o-mini" }
  base   = { env = "prod" }
}
resource "azurerm_cognitive_account" "acct" {
  name                = "acct"
  location            = "eastus"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
}
resource "azurerm_cognitive_deployment" "d" {
  for_each             = local.models
  name                 = "dep-${each.key}"
  cognitive_account_id = azurerm_cognitive_account.acct.id
  rai_policy_name      = "policy-$${each.key}"
  model {
    format  = "OpenAI"
    name    = each.value
    version = <<EOT
v-${each.key}
EOT
  }
  sku {
    name     = "Standard"
    capacity = count_of(1)
  }
}
resource "azurerm_resource_group" "rg" {
  count    = 2
  name     = "rg-${count.index}"
  location = "eastus"
  tags     = merge(local.base, { index = count.index })
}
resource "azurerm_cognitive_account" "many" {
  count               = 2
  name                = "many"
  location            = "eastus"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
  tags                = local.base
  network_acls {
    default_action = "Deny"
  }
}
resource "azurerm_cognitive_account" "dyn" {
  for_each            = toset(["p", "q"])
  name                = "dyn-${each.key}"
  location            = "eastus"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
  dynamic "network_acls" {
    for_each = ["Allow", "Deny"]
    content {
      default_action = network_acls.value
    }
  }
}
'''


def _read(folder: Path) -> list[tuple[str, object]]:
    return [(r.address, r.values) for r in read_directory(folder).resources]


def test_shared_values_equal_per_instance_evaluation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(MAIN, "utf-8")
    shared = _read(tmp_path)
    monkeypatch.setattr(hcl_reader, "iteration_free", lambda node: False)
    assert shared == _read(tmp_path)
    values = dict(shared)
    assert values['azurerm_cognitive_deployment.d["a"]']["model"][0]["version"] == "v-a\n"
    assert values['azurerm_cognitive_deployment.d["b"]']["model"][0]["version"] == "v-b\n"
    assert values['azurerm_cognitive_deployment.d["b"]']["rai_policy_name"] == "policy-${each.key}"
    assert values["azurerm_resource_group.rg[1]"]["tags"] == {"env": "prod", "index": 1}
    # a dynamic block's content reads its iterator: evaluated per element, never shared
    assert values['azurerm_cognitive_account.dyn["q"]']["network_acls"] == [
        {"default_action": "Allow"}, {"default_action": "Deny"}]


def test_instances_share_no_container(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN, "utf-8")
    values = dict(_read(tmp_path))
    first, second = values["azurerm_cognitive_account.many[0]"], values["azurerm_cognitive_account.many[1]"]
    assert first["tags"] == second["tags"] == {"env": "prod"}
    assert first["tags"] is not second["tags"]
    assert first["network_acls"] is not second["network_acls"]
    assert first["network_acls"][0] is not second["network_acls"][0]


def test_what_reads_each_or_count_is_not_shared() -> None:
    from generator.terraform.tfconfig.fastparse import parse_body

    body = parse_body('a = "x-${each.key}"\nb = count.index\nc = <<EOT\nplain\nEOT\nd = "$${each.key}"\ne = var.x\n', "m.tf")
    assert body is not None
    free = {k: hcl_reader.iteration_free(v[0]) for k, v in body.attributes.items()}
    assert free == {"a": False, "b": False, "c": False, "d": True, "e": True}
