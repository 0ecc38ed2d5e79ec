"""Regenerate the shipped alias table generator/engine/data/aliases/ from ../shared (deterministic).

Usage: python bench/build_alias_table.py --shared ../shared [--out generator/engine/data/aliases]

Every resource type in shared/reference/aliases (Get-AzPolicyAlias dumps, one markdown table per type)
is written as compact gzip'd JSON, one file per namespace (`<Namespace>.json.gz`, `{"types": {type:
{alias: defaultPath}}}`), so the engine decompresses only the namespaces a run touches. `index.json`
records the source and its date, and maps each namespace (lower-case) to its file. Re-running on the
same input gives byte-identical files (gzip mtime 0, sorted keys).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

SOURCE = (
    "jeircul/azure-policy-aliases, folder aliases/ (daily Get-AzPolicyAlias dumps: resource type, alias, "
    "default path) at commit df5015aae9d810eb26de2869de9480a0ba70f3cc, as mirrored in shared/reference/aliases"
)
SOURCE_DATE = "2026-08-21"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*$")
# Types clausegate targets that have no upstream table (only generic fields apply): listed empty
# so that the table says they are known.
EMPTY_TYPES = ["Microsoft.Resources/subscriptions/resourceGroups", "Microsoft.Resources/subscriptions"]


def read_table(path: Path) -> tuple[str, dict[str, str]]:
    """(type from the heading, {alias: path}) of one markdown file."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    rtype = lines[0].lstrip("#").strip() if lines else ""
    out: dict[str, str] = {}
    for line in lines:
        m = ROW.match(line.strip())
        if m:
            out[m.group(2)] = m.group(1)
    return rtype, out


def build(shared: Path) -> dict[str, dict[str, dict[str, str]]]:
    """{namespace: {type: {alias: path}}} for every table under shared/reference/aliases."""
    aliases_dir = shared / "reference" / "aliases"
    by_ns: dict[str, dict[str, dict[str, str]]] = {}
    for f in sorted(aliases_dir.rglob("*.md")):
        if f.name == "SOURCE.md":
            continue
        rtype, table = read_table(f)
        if "/" not in rtype:
            raise SystemExit(f"{f}: first line should be '# Namespace/type', got {rtype!r}")
        ns = rtype.split("/", 1)[0]
        by_ns.setdefault(ns, {})[rtype] = table
    for rtype in EMPTY_TYPES:
        by_ns.setdefault(rtype.split("/", 1)[0], {}).setdefault(rtype, {})
    return by_ns


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(by_ns: dict[str, dict[str, dict[str, str]]], out: Path) -> tuple[int, int, int]:
    """Write index.json and one .json.gz per namespace; returns (namespaces, types, aliases)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json.gz"):
        old.unlink()
    index: dict[str, str] = {}
    types = aliases = 0
    for ns in sorted(by_ns, key=str.lower):
        tables = by_ns[ns]
        name = f"{ns}.json.gz"
        index[ns.lower()] = name
        doc = {"types": {t: dict(sorted(tables[t].items(), key=lambda kv: kv[0].lower()))
                         for t in sorted(tables, key=str.lower)}}
        (out / name).write_bytes(_gz(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")))
        types += len(tables)
        aliases += sum(len(t) for t in tables.values())
    meta = {
        "source": SOURCE,
        "sourceDate": SOURCE_DATE,
        "generatedBy": "bench/build_alias_table.py --shared ../shared",
        "note": "Generic fields (name, type, kind, location, tags, identity...) are not aliases. Paths are each "
                "alias's default path; `clausegate aliases sync` adds per-API-version paths and overrides these.",
        "types": types,
        "aliases": aliases,
        "namespaces": index,
    }
    (out / "index.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(index), types, aliases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "generator" / "engine" / "data" / "aliases",
    )
    args = parser.parse_args(argv)
    namespaces, types, aliases = write(build(args.shared), args.out)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out}: {namespaces} namespaces, {types} types, {aliases} aliases, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
