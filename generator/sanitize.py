"""One sanitising step for every human-readable output: no text from an input or from Azure drives the terminal.

A resource name, message or error text may come from a plan, HCL, an ARM template, a pack or an Azure
answer. Written raw, an ESC/CSI sequence in it could rewrite what the operator's terminal shows (hide a
finding, fake a pass line). Here control characters other than newline and tab (C0, DEL, C1) and the
Unicode bidirectional controls are shown escaped (``\\x1b``, ``\\u202e``). JSON and SARIF escape control
characters themselves; JUnit (XML 1.0, which cannot hold most of them) uses ``xml_text``.
"""

from __future__ import annotations

import re
from typing import Any

# C0 except \t and \n, DEL, C1; bidi embeddings/overrides/isolates and the line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What XML 1.0 cannot carry at all (even as a character reference), plus the surrogates and U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with control characters other than newline and tab escaped (``\\x1b``)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def clean_line(text: str) -> str:
    """Like :func:`clean`, and a newline inside a value is escaped too: one value stays on one line."""
    return _CONTROL_OR_NEWLINE.sub(_escape, text) if _CONTROL_OR_NEWLINE.search(text) else text


def clean_value(value: Any) -> str:
    """``str(value)`` for a one-line human-readable message, sanitised."""
    return clean_line(str(value))


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: characters it cannot carry become visible escapes (``\\x1b``); escape <&> separately."""
    return _NOT_XML.sub(_escape, text) if _NOT_XML.search(text) else text


def xml_document(text: str) -> str:
    """A serialised XML document made safe to store anywhere: characters XML 1.0 cannot hold shown escaped,
    and every non-ASCII character as a character reference (well-formed whatever encoding carries it)."""
    return xml_text(text).encode("ascii", "xmlcharrefreplace").decode("ascii")


class SanitizingWriter:
    """A text stream that writes through :func:`clean`; every other attribute is the wrapped stream's.

    The CLI wraps stdout and stderr with it for the duration of a command, so every warning, progress
    line, error and report printed is sanitised, whoever prints it (JSON/SARIF already escape control
    characters, so they pass unchanged).
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: Any) -> int:
        """Write sanitised text (bytes pass through: they are not for a terminal)."""
        if isinstance(text, str):
            self._stream.write(clean(text))
            return len(text)
        return self._stream.write(text)  # type: ignore[no-any-return]

    def writelines(self, lines: Any) -> None:
        """Write each line sanitised."""
        for line in lines:
            self.write(line)

    @property
    def wrapped(self) -> Any:
        """The stream underneath."""
        return self._stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


__all__ = ["SanitizingWriter", "clean", "clean_line", "clean_value", "xml_document", "xml_text"]
