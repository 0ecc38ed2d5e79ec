"""The model-deployment routes a pack restricts, in words: for `clausegate clauses` and the docs.

``routes_markdown`` is the single source of the route table in docs/check.md (between the
``clausegate:routes`` markers); a test fails when the docs and the pack disagree.
"""

from __future__ import annotations

from typing import Any

from generator.pack.catalog import MODEL_ROUTES, ROUTES_NOT_RESTRICTED
from generator.pack.model import Pack, Restriction

ROUTES_BEGIN = "<!-- clausegate:routes begin (generated from the shipped pack: `python -m generator.pack.routes`) -->"
ROUTES_END = "<!-- clausegate:routes end -->"

# Terraform resources that create each route (azurerm where a resource exists, azapi otherwise).
TERRAFORM: dict[str, str] = {
    "Microsoft.CognitiveServices/accounts/deployments": "azurerm_cognitive_deployment, azapi_resource",
    "Microsoft.CognitiveServices/accounts": "azurerm_cognitive_account, azurerm_ai_services, azapi_resource",
    "Microsoft.VideoIndexer/accounts": "azurerm_video_indexer_account, azapi_resource",
}


def _short(alias: str | None, rtype: str) -> str:
    return (alias or "")[len(rtype) + 1:] if alias and alias.startswith(rtype + "/") else (alias or "")


def _where_words(r: Restriction) -> str:
    text = str(r.where)
    if "'count'" in text and "clearedModels" in text:
        return ": some model in a list (count over `[*]`) that the catalog does not clear"
    return ""


def describe_restriction(r: Restriction) -> str:
    """How the generated policy decides on one restricted type, in one line."""
    parts: list[str] = []
    if r.models == "image-input":
        if r.model_asset_field:
            what = (f"model name and version inside the asset id in `{_short(r.model_asset_field, r.type)}` "
                    "(`.../models/NAME/versions/V`)")
            if r.model_optional:
                what += ", when present"
        else:
            what = (f"`{_short(r.model_name_field, r.type)}` + `{_short(r.model_version_field, r.type)}`")
        parts.append(f"denied unless the catalog clears the model: {what}")
    elif r.kinds_parameter:
        parts.append(f"kind in parameter `{r.kinds_parameter}`")
    elif r.kinds is not None:
        parts.append(f"kind in {', '.join(r.kinds)}")
    else:
        route = MODEL_ROUTES.get(r.type)
        if route is not None and route.kind == "none":
            parts.append("every deployment denied: Azure has no policy alias for its model (fail-closed)")
        else:
            parts.append("every resource of the type")
    if r.where is not None and not r.models and not r.properties:
        parts = [f"the pack's `where` condition{_where_words(r)}"]
    elif r.properties or r.where is not None:
        parts.append("plus the pack's property conditions")
    if r.unless_parameter:
        parts.append(f"unless parameter `{r.unless_parameter}` is true")
    return "; ".join(parts)


def clause_routes(pack: Pack) -> dict[str, list[dict[str, Any]]]:
    """Per clause id: each restricted type, how it is decided, and the Terraform resources that create it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for c in pack.clauses:
        rows = []
        for r in c.restricts:
            route = MODEL_ROUTES.get(r.type)
            rows.append({
                "type": r.type,
                "decision": describe_restriction(r),
                "modelAliases": [a for a in (r.model_name_field, r.model_version_field, r.model_asset_field) if a],
                "liftedBy": r.unless_parameter,
                "note": route.note if route else "",
                "terraform": TERRAFORM.get(r.type, "azapi_resource"),
            })
        out[c.id] = rows
    return out


def routes_markdown(pack: Pack) -> str:
    """The route table for docs/check.md: every restricted type, its decision and clauses."""
    by_type: dict[str, dict[str, Any]] = {}
    for clause_id, rows in clause_routes(pack).items():
        for row in rows:
            entry = by_type.setdefault(row["type"], {**row, "clauses": []})
            entry["clauses"].append(clause_id)
    lines = [
        ROUTES_BEGIN,
        f"Routes the `{pack.name}` {pack.version} policies restrict:",
        "",
        "| ARM type | decided by | clauses | Terraform |",
        "|---|---|---|---|",
    ]
    for rtype, e in by_type.items():
        note = f" ({e['note']})" if e["note"] else ""
        lines.append(f"| `{rtype}`{note} | {e['decision']} | {', '.join(e['clauses'])} | {e['terraform']} |")
    lines += ["", "Seen in the alias tables with a model, and not restricted:", ""]
    lines += [f"- `{k}`: {v}" for k, v in ROUTES_NOT_RESTRICTED.items()]
    lines.append(ROUTES_END)
    return "\n".join(lines) + "\n"


README_BEGIN = "<!-- clausegate:readme-routes begin (generated: python -m generator.pack.routes) -->"
README_END = "<!-- clausegate:readme-routes end -->"


def routes_readme(pack: Pack) -> str:
    """The README's short list of routes (one line per type, types in pack order), between its markers."""
    seen: dict[str, str] = {}
    for rows in clause_routes(pack).values():
        for row in rows:
            if row["type"] not in seen:
                seen[row["type"]] = row["decision"]
            elif row["decision"] not in seen[row["type"]]:
                seen[row["type"]] += f"; or {row['decision']}"
    lines = [README_BEGIN] + [f"   - `{t}`: {d}" for t, d in seen.items()] + [README_END]
    return "\n".join(lines) + "\n"


def replace_fragment(text: str, fragment: str) -> str:
    """``text`` with the block between the route markers replaced by ``fragment`` (ValueError if absent)."""
    start = text.index(ROUTES_BEGIN)
    end = text.index(ROUTES_END, start) + len(ROUTES_END) + 1
    return text[:start] + fragment + text[end:]


if __name__ == "__main__":  # refresh docs/check.md from the shipped pack
    import sys
    from pathlib import Path

    from generator.pack import load_pack

    doc = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/check.md")
    shipped = load_pack("generator/packs/microsoft-aoai-law-enforcement/pack.yaml")
    doc.write_text(replace_fragment(doc.read_text("utf-8"), routes_markdown(shipped)), "utf-8")
    readme = doc.parent.parent / "README.md"
    text = readme.read_text("utf-8") if readme.is_file() else ""
    if README_BEGIN in text:  # the README's list is refreshed where its markers are
        start = text.index(README_BEGIN)
        end = text.index(README_END, start) + len(README_END) + 1
        readme.write_text(text[:start] + routes_readme(shipped) + text[end:], "utf-8")
