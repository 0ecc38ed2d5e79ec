# Every construct the evaluator reads, for tests/check/test_parser_parity.py.
// a line comment
/* a block
   comment */
variable "settings" {
  type = object({
    name = string
    tier = optional(string, "Standard")
    tags = optional(map(string), {})
  })
  default = { name = "x" }
}

locals {
  numbers   = [1, -2, 3.5, -4.25, 1.5e3, 10 / 4 % 2]
  logic     = !true || (false && 1 < 2) == (3 >= 4) != true
  cond      = var.settings.name == "x" ? "yes" : "no"
  nested    = { a = { b = [1, 2, { c = "d" }] }, "quoted key" = 1, (local.cond) = 2, for = 3, in = 4 }
  for_list  = [for i, v in local.numbers : v * 2 if v > 0]
  for_map   = { for k, v in local.nested : k => v }
  grouped   = { for s in ["a", "b", "a"] : s => s... }
  splat     = local.objects[*].name
  attrsplat = local.objects.*.name
  objects   = [{ name = "n1" }, { name = "n2" }]
  index     = local.objects[0].name
  legacy    = local.objects.1.name
  dynkey    = local.nested["a"]["b"][2].c
  call      = format("%s-%d", "x", 3)
  expanded  = max([1, 5, 3]...)
  provider  = provider::terraform::encode_tfvars({ a = 1 })
  template  = "a ${local.cond} b %{if local.logic}yes%{else}no%{endif} $${kept} %%{kept} \"q\" \\ \n"
  loop      = "%{for k, v in { a = 1 } ~} ${k}=${v} %{~ endfor}"
  heredoc   = <<EOT
plain ${local.cond}
  indented %{if true}t%{endif}
EOT
  trimmed   = <<-EOT
    first
      second ${upper("x")}
    EOT
  multi = [
    "a",
    "b",
  ]
  multi_obj = {
    a = 1,
    b = 2
  }
  ops = 1 + 2 * 3 - 4 / 2
}

resource "azurerm_resource_group" "rg" {
  for_each = toset(["a", "b"])
  name     = "rg-${each.key}"
  location = "eastus"

  dynamic "tag" {
    for_each = { k = "v" }
    iterator = item
    content {
      key   = item.key
      value = item.value
    }
  }

  lifecycle {
    ignore_changes = [tags]
  }
}

module "m" {
  source = "./m"
  count  = 2
  name   = "m${count.index}"
}

block_without_labels {}
one_line "l" { a = 1 }
