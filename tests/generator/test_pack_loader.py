"""Loading packs: the shipped pack, and bad packs that must fail with file, line and pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_helpers import EXAMPLE_PACK, SHIPPED

from generator.errors import PackError
from generator.pack import load_pack
from generator.pack.loader import parse_pack

GOOD = EXAMPLE_PACK.read_text("utf-8")


def test_shipped_pack_loads_by_name() -> None:
    pack = load_pack(SHIPPED)
    assert pack.name == SHIPPED
    assert [c.id for c in pack.clauses] == ["us-police", "mobile-realtime-fr"]
    assert pack.clause("us-police").source.url.startswith("https://learn.microsoft.com/")
    # Every clause names a source and quotes a sentence; every pack carries examples (meta-test).
    assert all(c.quote and c.source and c.rationale for c in pack.clauses)
    assert len(pack.examples) >= 17


def test_example_pack_loads_by_path() -> None:
    pack = load_pack(str(EXAMPLE_PACK))
    assert pack.slug == "restricted-data-net"
    assert pack.clauses[0].restricts[0].properties[0].operator == "notEquals"


def test_unknown_registry_name_is_input_error() -> None:
    from generator.errors import InputError

    with pytest.raises(InputError, match="unknown clause pack"):
        load_pack("no-such-pack")


def _error(text: str) -> PackError:
    with pytest.raises(PackError) as info:
        parse_pack(text, "bad.yaml")
    return info.value


def test_yaml_syntax_error_has_line() -> None:
    text = GOOD.replace("category: Cognitive Services", "category: [Cognitive Services")
    err = _error(text)
    assert err.file == "bad.yaml" and err.line is not None
    assert "YAML syntax error" in str(err)


def test_schema_violation_has_pointer_and_line() -> None:
    text = GOOD.replace("effect: {default: Audit, allowed: [Audit, Deny, Disabled]}",
                        "effect: {default: Block, allowed: [Audit, Deny, Disabled]}")
    err = _error(text)
    assert err.pointer == "/clauses/0/effect/default"
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "default: Block" in line)
    assert err.line == expected_line
    assert str(err).startswith(f"bad.yaml:{expected_line} at /clauses/0/effect/default: schema violation")


def test_unknown_model_selector() -> None:
    text = GOOD.replace("      - type: Microsoft.CognitiveServices/accounts\n",
                        "      - type: Microsoft.CognitiveServices/accounts/deployments\n        models: vision\n")
    err = _error(text)
    assert err.pointer == "/clauses/0/restricts/0/models"
    assert "unknown model selector 'vision'" in err.message and "image-input" in err.message
    assert err.line is not None


def test_duplicate_clause_id() -> None:
    shipped = (Path(__file__).resolve().parents[2] / "generator/packs" / SHIPPED / "pack.yaml").read_text("utf-8")
    err = _error(shipped.replace("- id: mobile-realtime-fr", "- id: us-police"))
    assert err.pointer == "/clauses/1/id"
    assert "duplicate clause id 'us-police'" in err.message
    assert err.line == next(i for i, line in enumerate(shipped.splitlines(), 1) if "- id: mobile-realtime-fr" in line)


def test_duplicate_yaml_key() -> None:
    err = _error(GOOD.replace("version: 0.1.0\n", "version: 0.1.0\nversion: 0.2.0\n"))
    assert "duplicate key 'version'" in err.message and err.line == 7


def test_unknown_parameter_reference() -> None:
    err = _error(GOOD.replace("in: restrictedValues}", "in: restrictedValuez}"))
    assert err.pointer == "/clauses/0/appliesTo/0/subscriptionTag/in"
    assert "unknown parameter 'restrictedValuez'" in err.message


def test_parameter_of_wrong_type() -> None:
    err = _error(GOOD.replace("subscriptionTag: {name: classificationTagName", "subscriptionTag: {name: restrictedValues"))
    assert "must be of type String" in err.message


def test_reserved_parameter_name() -> None:
    err = _error(GOOD.replace("  restrictedValues:\n", "  clearedModels:\n").replace("in: restrictedValues", "in: clearedModels"))
    assert "reserved" in err.message


def test_model_selector_needs_known_route_or_fields() -> None:
    text = GOOD.replace("      - type: Microsoft.CognitiveServices/accounts\n",
                        "      - type: Contoso.AI/things/deployments\n        models: image-input\n")
    err = _error(text)
    assert "modelFields" in err.message


def test_empty_file() -> None:
    err = _error("")
    assert "empty" in err.message
