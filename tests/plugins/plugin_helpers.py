"""Helpers for the plugin tests: subprocess runs of clausegate, throwaway distributions, venvs."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHIPPED = "microsoft-aoai-law-enforcement"
EXAMPLE_PACK = REPO / "examples" / "packs" / "restricted-data-network.yaml"
PLUGIN_PACK = REPO / "examples" / "plugin-pack"
GOLDEN = REPO / "tests" / "golden"
CASES = {"shipped": SHIPPED, "example-pack": str(EXAMPLE_PACK)}


def run_clausegate(args: list[str], *, python: str = sys.executable, cwd: Path | None = None,
                   extra_path: list[Path] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator ARGS`` in a fresh interpreter (entry points are read per process)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in extra_path)
    return subprocess.run([python, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def modules_after(code: str, *, python: str = sys.executable, extra_path: list[Path] | None = None) -> set[str]:
    """The names in sys.modules after running ``code`` in a fresh interpreter."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in extra_path)
    out = subprocess.run(
        [python, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True, env=env, timeout=120,
    ).stdout
    return set(out.split())


def make_distribution(site_dir: Path, dist: str, entry_points: dict[str, dict[str, str]],
                      modules: dict[str, str] | None = None) -> None:
    """Write an installed-looking distribution (``*.dist-info`` + modules) into ``site_dir``.

    importlib.metadata finds it like any installed package once ``site_dir`` is on sys.path, so the
    registry code runs exactly as with pip-installed plugins (no mocks).
    """
    info = site_dir / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n", "utf-8")
    lines = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {value}" for name, value in eps.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), "utf-8")
    for rel, text in (modules or {}).items():
        path = site_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")


def make_venv(where: Path) -> Path:
    """A venv that sees this interpreter's packages (clausegate and its dependencies); returns its python.

    ``--system-site-packages`` exposes the base interpreter's site-packages; when the tests run from
    a venv themselves (CI), a .pth file also adds that venv's site directories, processed like site
    directories so that clausegate's editable-install hook works too.
    """
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(where)],
                   check=True, capture_output=True, timeout=300)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    parents = [p for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    lines = [f"import site; site.addsitedir({p!r})" for p in parents]
    (Path(purelib) / "_clausegate_parent_env.pth").write_text("\n".join(lines) + "\n", "utf-8")
    return python


def pip_install_no_network(python: Path, project: Path) -> subprocess.CompletedProcess[str]:
    """``pip install --no-deps --no-build-isolation PROJECT`` into the venv of ``python`` (no index used)."""
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-build-isolation",
         "--no-index", str(project)],
        capture_output=True, text=True, env=env, timeout=300,
    )


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the manifest, as ``{posix relative path: bytes}``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".clausegate-manifest.json"}


def load_jsonc(text: str) -> Any:
    """Parse the JSONC clausegate writes: ``//`` comment lines, then one JSON document."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return json.loads(body)
