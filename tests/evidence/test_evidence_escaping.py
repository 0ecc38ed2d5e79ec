"""Whatever text comes from input, the HTML and Markdown stay inert (property tests)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.evidence.catalog import load_catalog
from generator.evidence.charts import visible
from generator.evidence.inputs import ResultsFile
from generator.evidence.model import build_evidence
from generator.evidence.render import md_escape, render

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
CATALOG = load_catalog(["microsoft-aoai-law-enforcement"])


def _data(resource: str, message: str) -> dict:
    r = {"resource": resource, "result": "match", "effect": "deny", "message": message,
         "policyDefinitionName": "aoai-law-enforcement-us-police", "clauseId": "us-police"}
    return build_evidence([ResultsFile("in.json", "0" * 64, "check", [r])], CATALOG, packs_named=True)


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT)
def test_html_shows_input_as_text_only(resource: str, message: str) -> None:
    html = render(_data(resource, message), "html")
    assert not CONTROL.search(html)
    shown = visible(resource).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;").replace("'", "&#39;")
    assert f"<code>{shown}</code>" in html
    html.encode("utf-8")  # lone surrogates were shown escaped, so the page can be written


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_markdown_escape_leaves_no_markup(text: str) -> None:
    out = md_escape(text)
    assert not CONTROL.search(out) and "\n" not in out and "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)[|*_`\[\]]", out.replace("\\\\", ""))
