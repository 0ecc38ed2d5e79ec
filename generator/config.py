"""`.clausegate.yaml`: one settings file for CI, pre-commit and a laptop; the command line wins over it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InputError

CONFIG_NAME = ".clausegate.yaml"
CONFIG_NAMES = (".clausegate.yaml", ".clausegate.yml")

# config key -> (option as people type it, kind). kind: path | paths | value | tags | context | parameters
SETTINGS: dict[str, tuple[str, str]] = {
    "paths": ("PATH", "paths"),
    "recursive": ("--recursive", "value"),
    "context": ("--context", "context"),
    "subscriptionTags": ("--subscription-tag", "tags"),
    "subscriptionId": ("--subscription-id", "value"),
    "pack": ("--pack", "pathish"),
    "policies": ("--policy", "paths"),
    "parameters": ("--parameters", "parameters"),
    "assignments": ("--assignment", "paths"),
    "exemptions": ("--exemption", "paths"),
    "failOn": ("--fail-on", "value"),
    "formats": ("--format", "value"),
    "outputFile": ("--output-file", "path"),
    "outputDir": ("--output-dir", "path"),
    "quiet": ("--quiet", "value"),
    "explain": ("--explain", "value"),
    "all": ("--all", "value"),
    "source": ("--source", "path"),
    "terraform.variables": ("--var", "tags"),
    "terraform.varFiles": ("--var-file", "paths"),
}


@dataclass
class Config:
    """A settings file as read: values (paths made absolute-ish, relative to the file) and their lines."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def origin(self, key: str) -> str:
        """'FILE:LINE' of a setting."""
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)

    def get(self, key: str) -> Any:
        """A setting's value, or None."""
        return self.values.get(key)


def repository_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding .git (a folder, or a file in a worktree)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest .clausegate.yaml from ``start`` upward, stopping at the repository boundary."""
    here = (start or Path.cwd()).resolve()
    stop = repository_root(here)
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        if stop is not None and folder == stop:
            return None
    return None


def load_config(explicit: str | None = None, *, start: Path | None = None) -> Config:
    """The settings file named by --config, else the one found upward; an empty Config when there is none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError("no such settings file", file=explicit)
    else:
        found = find_config(start)
        if found is None:
            return Config()
        path = found
    return parse_config(path)


def parse_config(path: Path) -> Config:
    """Read and validate a settings file; errors are one line with file:line (exit 2)."""
    from generator.fsio import read_text
    from generator.pack.yamlsrc import load_yaml_with_lines

    shown = _shown(path)
    text = read_text(path)
    if not text.strip():
        return Config(path=Path(shown))
    try:
        data, smap = load_yaml_with_lines(text, shown)
    except InputError as exc:
        raise InputError(exc.message.replace("in packs", "in settings files"), file=shown, line=exc.line) from None
    if not isinstance(data, dict):
        raise InputError("a settings file must hold a mapping of settings", file=shown, line=1)
    import jsonschema

    from generator.report import load_schema

    validator = jsonschema.Draft202012Validator(load_schema("config"))
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        err = errors[0]
        pointer = "".join(f"/{p}" for p in err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            known = ", ".join(sorted(err.schema.get("properties", {})))
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            if extra:
                pointer = f"{pointer}/{extra[0]}"
                message = f"unknown setting {extra[0]!r}"
            message = f"{message} (known settings: {known})"
        raise InputError(message, file=shown, line=smap.line(pointer), pointer=pointer or None)
    base = path.parent
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    flat = dict(data)
    tf = flat.pop("terraform", None) or {}
    for k, v in tf.items():
        flat[f"terraform.{k}"] = v
    for key, value in flat.items():
        kind = SETTINGS[key][1]
        values[key] = _resolve(value, kind, base)
        line = smap.line("/" + key.replace(".", "/"))
        if line:
            lines[key] = line
    return Config(path=Path(shown), values=values, lines=lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _rel(base: Path, value: str) -> str:
    p = Path(value)
    if p.is_absolute() or value == "-":
        return value
    joined = base / p
    try:
        return str(joined.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(joined)


def _resolve(value: Any, kind: str, base: Path) -> Any:
    if kind == "path":
        return _rel(base, value)
    if kind == "paths":
        return [_rel(base, v) for v in value]
    if kind == "pathish":  # a pack name or a YAML path
        return _rel(base, value) if value.endswith((".yaml", ".yml", ".json")) else value
    if kind in ("context", "parameters"):
        return _rel(base, value) if isinstance(value, str) else value
    if kind == "tags":
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    return value


@dataclass
class Effective:
    """Effective settings of one run: value and origin ('command line', 'FILE:LINE' or 'default')."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def take(self, key: str, cli_value: Any, given: bool, config: Config, default: Any = None) -> Any:
        """The command line's value when given, else the file's, else the default; records where it came from."""
        if given:
            value, origin = cli_value, "command line"
        elif key in config.values:
            value, origin = config.values[key], config.origin(key)
        else:
            value, origin = (cli_value if cli_value not in (None, (), [], {}) else default), "default"
        self.values[key] = value
        self.origins[key] = origin
        return value

    def merge_tags(self, key: str, cli_tags: dict[str, str], config: Config) -> dict[str, str]:
        """Mappings (tags, variables) merge: the file's entries, then the command line's on top."""
        base = dict(config.values.get(key) or {})
        value = {**base, **cli_tags}
        origin = ("command line" if cli_tags and not base else config.origin(key) if base and not cli_tags
                  else f"{config.origin(key)} + command line" if base else "default")
        self.values[key] = value
        self.origins[key] = origin
        return value


def show_settings(config_path: str | None, output_format: str = "text") -> str:
    """The effective settings of a `check` run with no options, and where each comes from (`config show`)."""
    from generator.check import CheckRequest, apply_settings

    req = CheckRequest(paths=[])
    eff = apply_settings(req, load_config(config_path), set(), variables=True)
    rows = []
    for key in ["config", *[k for k in SETTINGS if k in eff.values], "subscriptionTags"]:
        if key not in eff.values or any(r["setting"] == key for r in rows):
            continue
        value = eff.values[key]
        if isinstance(value, tuple):
            value = list(value)
        rows.append({"setting": key, "value": value, "origin": eff.origins.get(key, "default")})
    if output_format == "json":
        return json.dumps({"settings": rows}, indent=2, ensure_ascii=False) + "\n"
    width = max(len(r["setting"]) for r in rows)
    lines = []
    for r in rows:
        value = r["value"]
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        lines.append(f"{r['setting']:<{width}}  {text}  ({r['origin']})")
    return "\n".join(lines) + "\n"
