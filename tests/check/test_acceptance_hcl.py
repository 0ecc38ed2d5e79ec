"""Acceptance regressions for Terraform directories: function-argument expansion (`merge(list...)`),
the usual idiom for flattening nested for_each maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.check.conftest import report_of, run_check

POLICE_FR = ["--subscription-tag", "sector=police", "--subscription-tag", "jurisdiction=FR"]

_TF = """
variable "sites" {
  type = map(object({ attested = bool, models = list(string) }))
  default = {
    cams   = { attested = true, models = ["gpt-4o"] }
    patrol = { attested = false, models = ["gpt-4o", "text-embedding-3-small"] }
  }
}
resource "azurerm_resource_group" "site" {
  for_each = var.sites
  name     = "rg-${each.key}"
  location = "francecentral"
  tags     = each.value.attested ? { "camera-context" = "stationary-controlled" } : {}
}
resource "azurerm_cognitive_account" "acc" {
  for_each            = var.sites
  name                = "oai-${each.key}"
  location            = "francecentral"
  resource_group_name = azurerm_resource_group.site[each.key].name
  kind                = "OpenAI"
  sku_name            = "S0"
}
locals {
  pairs = merge([
    for site, cfg in var.sites : {
      for m in cfg.models : "${site}-${m}" => { site = site, model = m }
    }
  ]...)
}
resource "azurerm_cognitive_deployment" "d" {
  for_each             = local.pairs
  name                 = each.key
  cognitive_account_id = azurerm_cognitive_account.acc[each.value.site].id
  model {
    format  = "OpenAI"
    name    = each.value.model
    version = "2024-11-20"
  }
  sku {
    name = "Standard"
  }
}
"""


def test_merge_with_argument_expansion_drives_for_each(write: Any, tmp_path: Path) -> None:
    write("main.tf", _TF)
    result = run_check([str(tmp_path), *POLICE_FR, "--format", "json"])
    report = report_of(result)
    assert not any("ELLIPSIS" in w or "not checked" in w for w in report.get("warnings", [])), report["warnings"]
    assert report["summary"]["resources"] == {"read": 7, "skipped": 0, "checked": 7}
    failing = {(r["resource"], r["clauseId"]) for r in report["results"] if r["result"] == "match"}
    assert failing == {('azurerm_cognitive_deployment.d["patrol-gpt-4o"]', "mobile-realtime-fr")}
    assert result.exit_code == 1
