"""Array and object functions: createArray(), union(), intersection(), range(), tryGet() and the like."""

from __future__ import annotations

from typing import Any

from generator.engine.functions.arm_values import _int, _need, arm_equals
from generator.engine.functions.registry import MAX_RANGE, VARIADIC, _fn
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, ci_get


# ---------------------------------------------------------------------------------------------
# arrays and objects

@_fn("array", 1, deep=False)
def _array(v: Any) -> list:
    return v if isinstance(v, list) else [v]


@_fn("createArray", 0, VARIADIC, deep=False)
def _create_array(*items: Any) -> list:
    return list(items)


@_fn("createObject", 0, VARIADIC, deep=False)
def _create_object(*items: Any) -> dict:
    if len(items) % 2:
        raise EvaluationError("createObject(): needs an even number of arguments (key, value pairs)")
    out: dict = {}
    for i in range(0, len(items), 2):
        out[_need(items[i], (str,), "createObject", "a key")] = items[i + 1]
    return out


@_fn("intersection", 2, VARIADIC)
def _intersection(first: Any, *rest: Any) -> Any:
    if isinstance(first, list):
        out = []
        for x in first:
            if all(any(arm_equals(x, y) for y in _need(r, (list,), "intersection")) for r in rest):
                if not any(arm_equals(x, o) for o in out):
                    out.append(x)
        return out
    base = _need(first, (dict,), "intersection")
    result = {}
    for k, v in base.items():
        keep = True
        for r in rest:
            other = ci_get(_need(r, (dict,), "intersection"), k)
            if other is MISSING or not arm_equals(v, other):
                keep = False
                break
        if keep:
            result[k] = v
    return result


@_fn("union", 1, VARIADIC, deep=False)
def _union(first: Any, *rest: Any) -> Any:
    if isinstance(first, list):
        out: list = []
        for arr in (first, *rest):
            for x in _need(arr, (list,), "union"):
                if not any(arm_equals(x, o) for o in out):
                    out.append(x)
        return out
    merged: dict = {}
    for obj in (first, *rest):
        for k, v in _need(obj, (dict,), "union").items():
            existing = next((ek for ek in merged if ek.lower() == k.lower()), None)
            if existing is not None:
                del merged[existing]
            merged[k] = v
    return merged


@_fn("items", 1, deep=False)
def _items(obj: Any) -> list:
    return [{"key": k, "value": v} for k, v in sorted(_need(obj, (dict,), "items").items(), key=lambda kv: kv[0].lower())]


@_fn("objectKeys", 1, deep=False)
def _object_keys(obj: Any) -> list:
    return list(_need(obj, (dict,), "objectKeys").keys())


@_fn("flatten", 1, deep=False)
def _flatten(arr: Any) -> list:
    out: list = []
    for item in _need(arr, (list,), "flatten"):
        out.extend(_need(item, (list,), "flatten", "every member (arrays)"))
    return out


@_fn("shallowMerge", 1, deep=False)
def _shallow_merge(objs: Any) -> dict:
    merged: dict = {}
    for obj in _need(objs, (list,), "shallowMerge"):
        merged.update(_need(obj, (dict,), "shallowMerge", "every member (objects)"))
    return merged


@_fn("indexFromEnd", 2, deep=False)
def _index_from_end(arr: Any, n: Any) -> Any:
    items = _need(arr, (list,), "indexFromEnd")
    k = _int(n, "indexFromEnd")
    if not 1 <= k <= len(items):
        raise EvaluationError(f"indexFromEnd(): index {k} is out of range (length {len(items)})")
    return items[-k]


@_fn("tryIndexFromEnd", 2, deep=False)
def _try_index_from_end(arr: Any, n: Any) -> Any:
    if not isinstance(arr, list):
        return None
    k = _int(n, "tryIndexFromEnd")
    return arr[-k] if 1 <= k <= len(arr) else None


@_fn("range", 2)
def _range(start: Any, count: Any) -> list:
    s, c = _int(start, "range"), _int(count, "range")
    if c > MAX_RANGE:
        raise EvaluationError(f"range(): count {c} is over ARM's limit of {MAX_RANGE:,}")
    if c < 0:
        raise EvaluationError("range(): count must not be negative")
    return list(range(s, s + c))


def _numbers(fn: str, args: tuple) -> list:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not values:
        raise EvaluationError(f"{fn}(): needs at least one value")
    return [_need(v, (int, float), fn) for v in values]


@_fn("max", 1, VARIADIC)
def _max(*args: Any) -> Any:
    return max(_numbers("max", args))


@_fn("min", 1, VARIADIC)
def _min(*args: Any) -> Any:
    return min(_numbers("min", args))


@_fn("tryGet", 2, VARIADIC, deep=False)
def _try_get(obj: Any, *keys: Any) -> Any:
    cur = obj
    for key in keys:
        if cur is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(cur, dict) and isinstance(key, str):
            cur = ci_get(cur, key)
            if cur is MISSING:
                return None
        elif isinstance(cur, list) and isinstance(key, int) and not isinstance(key, bool):
            if not -len(cur) <= key < len(cur):
                return None
            cur = cur[key]
        else:
            # tryGet(null, 'x') is null (Microsoft's policy linter documents this).
            return None
    return cur
