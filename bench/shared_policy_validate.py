#!/usr/bin/env python3
"""Validate every generated policy definition and set against the Azure schemas in ../shared.

Checks, for the shipped pack, every pack in examples/packs/ and the committed modules/*/policies:
  1. policyRule against shared/schemas/2020-10-01/policyDefinition.json, leniently: that schema
     lags the service (azure-facts Q3: no denyAction; equals/notEquals typed number|string while
     built-ins use booleans), so those two gaps are patched in a copy;
  2. definition and set properties against Microsoft.Authorization.json (2025-03-01);
  3. every alias a rule reads (``field`` conditions and ``field('...')`` in expressions) exists in
     shared/reference/aliases/ (generic fields such as type, kind and tags are not aliases).
Exits 1 on any failure, 2 when ../shared is unusable.

Usage: python3 bench/shared_policy_validate.py --shared ../shared
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GENERIC_FIELDS = {"name", "fullname", "type", "kind", "location", "id", "identity.type", "tags", "apiversion"}
FIELD_CALL = re.compile(r"field\('((?:[^']|'')*)'\)", re.IGNORECASE)


def lenient(schema: dict[str, Any]) -> dict[str, Any]:
    """Patch known gaps of the published schemas in a copy.

    - 2020-10-01 rule schema: add denyAction to the effect enum; allow booleans in equals/notEquals.
    - Generated ARM schemas write ``oneOf: [<type>, <expression>]``; with ``{}`` as the first
      branch an expression string matches both and oneOf fails, so such a oneOf becomes anyOf.
    """
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            one = node.get("oneOf")
            if isinstance(one, list) and any(
                isinstance(b, dict) and str(b.get("$ref", "")).endswith("definitions.json#/definitions/expression")
                for b in one
            ):
                node["anyOf"] = node.pop("oneOf")
            props = node.get("properties")
            if isinstance(props, dict):
                for op in ("equals", "notEquals"):
                    if isinstance(props.get(op), dict) and props[op].get("type") == ["number", "string"]:
                        props[op]["type"] = ["number", "string", "boolean"]
            if node.get("enum") and "deny" in node["enum"] and "denyAction" not in node["enum"]:
                node["enum"] = [*node["enum"], "denyAction"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(out)
    return out


def load_aliases(shared: Path) -> set[str]:
    """Every alias name in the shared alias tables, lower-cased."""
    names: set[str] = set()
    for md in (shared / "reference" / "aliases").rglob("*.md"):
        for m in re.finditer(r"\|\s*`[^`]*`\s*\|\s*`([^`]+)`\s*\|", md.read_text("utf-8-sig")):
            names.add(m.group(1).lower())
    return names


def fields_read(rule: Any) -> Iterator[str]:
    """Every field a rule reads: ``field`` operands and ``field('...')`` calls."""
    if isinstance(rule, dict):
        for k, v in rule.items():
            if k == "field" and isinstance(v, str) and not v.startswith("["):
                yield v
            elif isinstance(v, str) and v.startswith("[") and not v.startswith("[["):
                yield from (m.group(1).replace("''", "'") for m in FIELD_CALL.finditer(v))
            else:
                yield from fields_read(v)
    elif isinstance(rule, list):
        for v in rule:
            yield from fields_read(v)


def is_generic(name: str) -> bool:
    low = name.lower()
    return low in GENERIC_FIELDS or low.startswith(("tags[", "tags.")) or "/" not in low


def collect() -> dict[str, dict[str, Any]]:
    """Generated policy JSON by file label: the packs rendered in memory plus committed modules."""
    from generator.pack import load_pack
    from generator.targets import RenderOptions
    from generator.targets.policy_json import PolicyJsonTarget

    docs: dict[str, dict[str, Any]] = {}
    refs = ["microsoft-aoai-law-enforcement", *sorted(str(p) for p in (REPO / "examples" / "packs").glob("*.yaml"))]
    for ref in refs:
        for path, text in PolicyJsonTarget().render(load_pack(ref), RenderOptions()).items():
            if "/tests/" not in path:
                docs[f"{Path(ref).name}:{path}"] = json.loads(text)
    for path in sorted((REPO / "modules").glob("*/policies/*.json")):
        docs[str(path.relative_to(REPO))] = json.loads(path.read_text("utf-8"))
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="path of the shared reference folder")
    args = parser.parse_args()
    shared: Path = args.shared
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        rule_schema = lenient(json.loads((shared / "schemas/2020-10-01/policyDefinition.json").read_text("utf-8")))
        auth = lenient(json.loads((shared / "schemas/2025-03-01/Microsoft.Authorization.json").read_text("utf-8")))
        common = json.loads((shared / "schemas/common/definitions.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read the shared schemas: {exc}", file=sys.stderr)
        return 2
    registry = Registry().with_resources([
        (s["id"].rstrip("#"), Resource(contents=s, specification=DRAFT4)) for s in (rule_schema, auth, common)
    ])
    aliases = load_aliases(shared)
    if not aliases:
        print("no aliases found under shared/reference/aliases", file=sys.stderr)
        return 2

    def validator_for(pointer: str) -> Any:
        schema = {"$ref": f"{auth['id'].rstrip('#')}#/definitions/{pointer}"}
        return jsonschema.Draft4Validator(schema, registry=registry)

    rule_validator = jsonschema.Draft4Validator(rule_schema, registry=registry)
    def_validator = validator_for("PolicyDefinitionProperties")
    set_validator = validator_for("PolicySetDefinitionProperties")
    failures = 0
    checked_aliases: set[str] = set()
    docs = collect()
    for label, doc in docs.items():
        problems: list[str] = []
        kind = doc.get("type", "")
        props = doc.get("properties", {})
        if kind == "Microsoft.Authorization/policyDefinitions":
            problems += [f"properties: {e.message[:200]}" for e in def_validator.iter_errors(props)]
            problems += [f"policyRule{''.join(f'/{p}' for p in e.absolute_path)}: {e.message[:200]}"
                         for e in rule_validator.iter_errors(props.get("policyRule"))]
            if props.get("mode") != "All":
                problems.append(f"mode is {props.get('mode')!r}, expected 'All'")
            if len(doc.get("name", "")) > 64:
                problems.append("definition name longer than 64 characters")
            for f in fields_read(props.get("policyRule")):
                if is_generic(f):
                    continue
                checked_aliases.add(f)
                if f.lower() not in aliases:
                    problems.append(f"alias not found in shared/reference/aliases: {f}")
        elif kind == "Microsoft.Authorization/policySetDefinitions":
            problems += [f"properties: {e.message[:200]}" for e in set_validator.iter_errors(props)]
        else:
            problems.append(f"unknown document type {kind!r}")
        status = "FAIL" if problems else "ok"
        print(f"{status:4} {label}")
        for p in problems:
            print(f"     {p}")
        failures += bool(problems)
    print(f"{len(docs)} document(s), {len(checked_aliases)} distinct alias(es) checked, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
