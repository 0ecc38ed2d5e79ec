"""Write a report where it was asked for: formats, files, standard output, and the stderr summary."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from generator.errors import InputError

# format -> file extension for --output-dir (clausegate.<ext>)
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml"}


@dataclass
class OutputSpec:
    """Where and how a command writes its report (CONTRACTS.md, "Output options")."""

    formats: tuple[str, ...] = ("text",)
    output_file: str | None = None
    output_dir: str | None = None
    quiet: bool = False
    color: bool | None = None          # None: decide from the terminal and NO_COLOR
    explain: bool = False               # full trace instead of the deciding conditions
    stdout: TextIO | None = None        # test seams; default sys.stdout / sys.stderr at call time
    stderr: TextIO | None = None
    written: list[str] = field(default_factory=list)

    def out(self) -> TextIO:
        """The stream reports go to when no file is named."""
        return self.stdout or sys.stdout

    def err(self) -> TextIO:
        """The stream for the summary, warnings and notes."""
        return self.stderr or sys.stderr

    def destinations(self) -> list[tuple[str, str | None]]:
        """(format, path or None for standard output) for every requested format; bad combinations exit 2."""
        formats = tuple(dict.fromkeys(self.formats or ("text",)))
        if self.output_file and self.output_dir:
            raise InputError("give --output-file or --output-dir, not both")
        if self.output_dir:
            return [(f, str(Path(self.output_dir) / f"clausegate.{EXTENSIONS[f]}")) for f in formats]
        if len(formats) > 1:
            raise InputError(f"{len(formats)} formats ({', '.join(formats)}) need --output-dir DIR "
                             "(one file clausegate.<ext> per format); --output-file takes one format")
        return [(formats[0], self.output_file)]


def use_color(stream: TextIO, wanted: bool | None) -> bool:
    """Colour on a terminal; never with NO_COLOR set (any value) or when piped."""
    if wanted is not None:
        return wanted
    if os.environ.get("NO_COLOR") is not None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_report_file(path: str, text: str) -> None:
    """Write one report atomically; an unwritable destination is bad input (exit 2), not a crash."""
    from generator.fsio import write_text_atomic

    try:
        parent = Path(path).parent
        if str(parent) not in ("", "."):
            parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=path) from None


def emit(report: Mapping[str, Any], spec: OutputSpec, *,
         render: Callable[[str, Mapping[str, Any], bool], str] | None = None,
         notes: list[str] | None = None, summary: Callable[[Mapping[str, Any]], str] | None = None) -> None:
    """Render ``report`` in every requested format to its destination, then the summary and warnings on stderr.

    ``render(format, report, color)`` overrides how a format is rendered (``test`` and ``scan`` add
    their own text); ``notes`` are extra stderr lines (request counts and the like).
    """
    from generator.report.text import summary_line

    destinations = spec.destinations()
    text_on_stdout = False
    for fmt, path in destinations:
        color = path is None and use_color(spec.out(), spec.color)
        if path is None and fmt == "text" and render is None:
            from generator.report.text import iter_text

            # written as it is rendered: a large report's text is never held whole
            stream = spec.out()
            for piece in iter_text(report, color=color):
                stream.write(piece)
            stream.flush()
            text_on_stdout = True
            continue
        text = render(fmt, report, color) if render else render_format(fmt, report, color=color,
                                                                       explain=spec.explain)
        if path is None:
            stream = spec.out()
            stream.write(text)
            stream.flush()
            text_on_stdout = text_on_stdout or fmt == "text"
        else:
            write_report_file(path, text)
            spec.written.append(path)
    if spec.quiet:
        return
    err = spec.err()
    color = use_color(err, spec.color)
    if not text_on_stdout:
        # The text report on standard output already ends with its warnings and summary.
        for w in report.get("warnings") or ():
            err.write(paint(f"warning: {w}", "yellow", color) + "\n")
        if summary is not None:
            err.write(paint_summary(summary(report), report, color) + "\n")
        elif isinstance(report.get("summary"), Mapping) and "resources" in report["summary"]:
            from generator.report.model import normalise_fail_on

            err.write(paint_summary(summary_line(report, normalise_fail_on(report.get("failOn"))), report,
                                    color) + "\n")
    for path in spec.written:
        err.write(f"wrote {path}\n")
    for line in notes or ():
        err.write(line + "\n")
    err.flush()


def render_format(fmt: str, report: Mapping[str, Any], *, color: bool = False, explain: bool = False) -> str:
    """One report in one format."""
    if fmt == "text":
        from generator.report.text import format_text

        return format_text(report, color=color, explain=explain)
    from generator.report import formatters

    return formatters[fmt](report)


_ANSI = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2", "cyan": "36"}


def paint(text: str, colour: str, on: bool) -> str:
    """``text`` in an ANSI colour when ``on``."""
    return f"\x1b[{_ANSI[colour]}m{text}\x1b[0m" if on else text


def paint_summary(line: str, report: Mapping[str, Any], on: bool) -> str:
    """The summary in red when something fails, green otherwise."""
    summary = report.get("summary") or {}
    failing = summary["tests"].get("failed") if isinstance(summary.get("tests"), Mapping) else summary.get("failing")
    return paint(line, "red" if failing else "green", on)
