"""Regenerate generator/engine/data/aliases.json from the alias tables in ../shared (deterministic).

Usage: python bench/build_alias_table.py --shared ../shared [--out generator/engine/data/aliases.json]
Only the resource types clausegate targets are copied, not the whole alias corpus.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TYPES = [
    "Microsoft.CognitiveServices/accounts",
    "Microsoft.CognitiveServices/accounts/deployments",
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.MachineLearningServices/workspaces/connections",
    "Microsoft.MachineLearningServices/workspaces/connections/deployments",
    "Microsoft.MachineLearningServices/workspaces/endpoints",
    "Microsoft.MachineLearningServices/workspaces/endpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
    "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions",
    "Microsoft.VideoIndexer/accounts",
    "Microsoft.Resources/subscriptions/resourceGroups",
]
SOURCE = (
    "jeircul/azure-policy-aliases aliases/ (Get-AzPolicyAlias dumps) at commit "
    "df5015aae9d810eb26de2869de9480a0ba70f3cc (2026-08-21), as mirrored in shared/reference/aliases; "
    "regenerate with bench/build_alias_table.py"
)
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*$")


def table_file(aliases_dir: Path, rtype: str) -> Path:
    """Markdown file of one type: Namespace/type/child -> Namespace/type-child.md."""
    namespace, _, rest = rtype.partition("/")
    return aliases_dir / namespace / (rest.replace("/", "-") + ".md")


def read_table(path: Path) -> dict[str, str]:
    """Rows `| path | alias |` of one markdown table as {alias: path}."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        m = ROW.match(line.strip())
        if m:
            out[m.group(2)] = m.group(1)
    return out


def build(shared: Path) -> dict:
    """The curated alias table as JSON-ready data."""
    aliases_dir = shared / "reference" / "aliases"
    types: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    for rtype in TYPES:
        f = table_file(aliases_dir, rtype)
        if f.is_file():
            types[rtype] = dict(sorted(read_table(f).items(), key=lambda kv: kv[0].lower()))
        else:
            # No alias table upstream (e.g. resource groups): only generic fields apply.
            types[rtype] = {}
            missing.append(rtype)
    return {
        "source": SOURCE,
        "note": "Generic fields (name, type, kind, location, tags, identity...) are not aliases. "
        "Types without an upstream table: " + (", ".join(missing) or "none") + ".",
        "types": types,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "generator" / "engine" / "data" / "aliases.json",
    )
    args = parser.parse_args(argv)
    data = build(args.shared)
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    args.out.write_text(text, encoding="utf-8")
    count = sum(len(v) for v in data["types"].values())
    print(f"wrote {args.out}: {len(data['types'])} types, {count} aliases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
