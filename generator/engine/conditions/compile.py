"""Compiling a condition tree (`if`, `where`, `existenceCondition`) into condition nodes."""

from __future__ import annotations

import re
from typing import Any

from generator.engine.conditions.compiled_values import CompiledValue, _esc, compile_value
from generator.engine.conditions.count import CountCondition
from generator.engine.conditions.nodes import AllOf, AnyOf, Condition, FieldCondition, Not, TypeEquals, ValueCondition
from generator.engine.conditions.operators import _OP_BY_LOWER, OPERATORS
from generator.engine.expressions import type_name
from generator.engine.fields import compile_field
from generator.errors import PolicyCompileError


# ---------------------------------------------------------------------------------------------
# compilation

_LOGICAL = {"allof", "anyof", "not"}


MAX_DEPTH = 128  # far beyond real policies; keeps hostile input from exhausting the stack


def compile_condition(node: Any, pointer: str) -> Condition:
    """Compile a condition tree (an `if`, `where` or `existenceCondition`); raises PolicyCompileError."""
    depth = pointer.count("/")
    if depth > MAX_DEPTH:
        raise PolicyCompileError(f"conditions nested more than {MAX_DEPTH} levels deep", pointer=pointer)
    if not isinstance(node, dict):
        raise PolicyCompileError(f"a condition must be a JSON object, not {type_name(node)}", pointer=pointer)
    keys = {str(k).lower(): k for k in node}
    if len(keys) != len(node):
        raise PolicyCompileError("a condition repeats a key in different letter case", pointer=pointer)
    for logical in ("allof", "anyof"):
        if logical in keys:
            _only(node, keys, {logical}, pointer)
            k = keys[logical]
            items = node[k]
            if not isinstance(items, list):
                raise PolicyCompileError(f"'{k}' must be an array of conditions", pointer=f"{pointer}/{_esc(k)}")
            children = [compile_condition(c, f"{pointer}/{_esc(k)}/{i}") for i, c in enumerate(items)]
            return AllOf(children, pointer) if logical == "allof" else AnyOf(children, pointer)
    if "not" in keys:
        _only(node, keys, {"not"}, pointer)
        k = keys["not"]
        return Not(compile_condition(node[k], f"{pointer}/{_esc(k)}"), pointer)
    subjects = [s for s in ("field", "value", "count") if s in keys]
    if not subjects:
        raise PolicyCompileError(
            "a condition needs 'field', 'value' or 'count' (or 'allOf', 'anyOf', 'not'); found "
            + (", ".join(repr(k) for k in node) or "nothing"),
            pointer=pointer,
        )
    if len(subjects) > 1:
        raise PolicyCompileError(f"a condition cannot combine {' and '.join(subjects)}", pointer=pointer)
    subject = subjects[0]
    op_keys = [k for low, k in keys.items() if low != subject]
    if not op_keys:
        raise PolicyCompileError(f"the {subject} condition has no operator", pointer=pointer)
    unknown = [k for k in op_keys if k.lower() not in _OP_BY_LOWER]
    if unknown:
        raise PolicyCompileError(
            f"unknown operator {unknown[0]!r} (expected one of {', '.join(OPERATORS)})",
            pointer=f"{pointer}/{_esc(unknown[0])}",
        )
    if len(op_keys) > 1:
        raise PolicyCompileError(f"a condition takes one operator, found {', '.join(op_keys)}", pointer=pointer)
    op_key = op_keys[0]
    op = _OP_BY_LOWER[op_key.lower()]
    op_pointer = f"{pointer}/{_esc(op_key)}"
    rhs = compile_value(node[op_key], op_pointer)
    if rhs.is_literal:
        _check_literal(op, rhs.literal, op_pointer)
    skey = keys[subject]
    spointer = f"{pointer}/{_esc(skey)}"
    if subject == "field":
        ref = compile_field(node[skey], spointer)
        if (
            ref.kind == "path"
            and ref.segments == ("type",)
            and op in ("equals", "notEquals")
            and rhs.is_literal
            and isinstance(rhs.literal, str)
        ):
            return TypeEquals(rhs.literal, op == "notEquals", node[op_key], pointer)
        return FieldCondition(ref, op, rhs, pointer)
    if subject == "value":
        return ValueCondition(compile_value(node[skey], spointer), op, rhs, pointer)
    return _compile_count(node[skey], op, rhs, pointer, spointer)


def _only(node: dict, keys: dict, allowed: set, pointer: str) -> None:
    extra = [k for low, k in keys.items() if low not in allowed]
    if extra:
        raise PolicyCompileError(
            f"{'/'.join(keys[a] for a in allowed)} cannot be combined with {', '.join(repr(k) for k in extra)}",
            pointer=pointer,
        )


def _check_literal(op: str, value: Any, pointer: str) -> None:
    if value is None and op != "exists":
        raise PolicyCompileError(f"the value of '{op}' is null", pointer=pointer)
    if op == "exists":
        if not (isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))):
            raise PolicyCompileError(f"'exists' takes true or false, not {value!r}", pointer=pointer)
    elif op in ("in", "notIn") and not isinstance(value, list):
        raise PolicyCompileError(f"'{op}' takes an array, not {type_name(value)}", pointer=pointer)
    elif op in ("like", "notLike", "match", "notMatch", "matchInsensitively", "notMatchInsensitively", "containsKey", "notContainsKey") and not isinstance(value, str):
        raise PolicyCompileError(f"'{op}' takes a string, not {type_name(value)}", pointer=pointer)
    elif op in ("equals", "notEquals", "contains", "notContains") and isinstance(value, list):
        # Azure refuses the definition on create: "expected type is 'String'" (policy rule
        # structure, "Conditions": "equals": "stringValue" ...).
        raise PolicyCompileError(f"'{op}' takes a single value, not an array: expected type is 'String' "
                                 "(policy rule structure, 'Conditions'); use 'in' / 'notIn' for a list",
                                 pointer=pointer)


_INDEX_NAME = re.compile(r"^[A-Za-z0-9]+$")


def _compile_count(spec: Any, op: str, rhs: CompiledValue, pointer: str, spointer: str) -> Condition:
    if not isinstance(spec, dict):
        raise PolicyCompileError("'count' must be an object with 'field' or 'value'", pointer=spointer)
    keys = {str(k).lower(): k for k in spec}
    extra = [k for low, k in keys.items() if low not in ("field", "value", "name", "where")]
    if extra:
        raise PolicyCompileError(f"unexpected key {extra[0]!r} in count", pointer=f"{spointer}/{_esc(extra[0])}")
    if ("field" in keys) == ("value" in keys):
        raise PolicyCompileError("'count' needs exactly one of 'field' and 'value'", pointer=spointer)
    where = None
    if "where" in keys:
        wk = keys["where"]
        where = compile_condition(spec[wk], f"{spointer}/{_esc(wk)}")
    if "field" in keys:
        fk = keys["field"]
        if "name" in keys:
            raise PolicyCompileError("'name' is only allowed in a value count", pointer=f"{spointer}/{_esc(keys['name'])}")
        ref = compile_field(spec[fk], f"{spointer}/{_esc(fk)}")
        if ref.kind != "expr" and "[*]" not in ref.text:
            raise PolicyCompileError(
                f"count.field must be an array alias ending in [*], not {ref.text!r}", pointer=f"{spointer}/{_esc(fk)}"
            )
        return CountCondition(ref, None, None, where, op, rhs, pointer)
    vk = keys["value"]
    source = compile_value(spec[vk], f"{spointer}/{_esc(vk)}")
    name = None
    if "name" in keys:
        nk = keys["name"]
        name = spec[nk]
        if not isinstance(name, str) or not _INDEX_NAME.match(name):
            raise PolicyCompileError(
                f"count.name must be letters and digits, not {name!r}", pointer=f"{spointer}/{_esc(nk)}"
            )
        name = name.lower()
    if source.is_literal and not isinstance(source.literal, list):
        raise PolicyCompileError("count.value must be an array", pointer=f"{spointer}/{_esc(vk)}")
    return CountCondition(None, source, name, where, op, rhs, pointer)
