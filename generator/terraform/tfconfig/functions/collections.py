"""Collection functions (Terraform's function reference). Sets are sorted lists without duplicates."""

from __future__ import annotations

import json
import math
from typing import Any

from generator.terraform.tfconfig.functions.text import _int, _num, _s, number, unify
from generator.terraform.tfconfig.values import EvalError, check_count, check_size, tf_str


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def fn_toset(v: Any) -> list[Any]:
    if v is None:
        return None  # type: ignore[return-value]
    if isinstance(v, dict):
        raise EvalError("toset(): a map cannot be converted to a set")
    items = unify(list(v))
    seen: dict[str, Any] = {}
    for x in items:
        seen.setdefault(_key(x), x)
    return sorted(seen.values(), key=lambda x: (not isinstance(x, str), _key(x)))


def fn_tolist(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, dict):
        raise EvalError("tolist(): a map cannot be converted to a list")
    return unify(list(v))


def _list(v: Any, fn: str) -> list[Any]:
    if not isinstance(v, list):
        raise EvalError(f"{fn}(): a list or a set is required")
    return v


def _truth(v: Any, fn: str) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"{fn}(): elements must be bools")


def fn_chunklist(v: Any, size: Any) -> list[Any]:
    items, n = _list(v, "chunklist"), _int(size)
    if n < 0:
        raise EvalError("chunklist(): the size must not be negative")
    if n == 0:
        return [items]
    return [items[i:i + n] for i in range(0, len(items), n)]


def fn_coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None and a != "":
            return a
    raise EvalError("coalesce(): no non-null, non-empty-string arguments")


def fn_coalescelist(*args: Any) -> Any:
    for a in args:
        if not isinstance(a, list):
            raise EvalError("coalescelist(): arguments must be lists")
        if a:
            return a
    raise EvalError("coalescelist(): no non-empty lists")


def fn_compact(v: Any) -> list[Any]:
    return [x for x in _list(v, "compact") if x is not None and x != ""]


def fn_contains(v: Any, x: Any) -> bool:
    return any(_key(i) == _key(x) for i in _list(v, "contains"))


def fn_distinct(v: Any) -> list[Any]:
    seen: set[str] = set()
    out = []
    for x in _list(v, "distinct"):
        k = _key(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


def fn_element(v: Any, i: Any) -> Any:
    items, idx = _list(v, "element"), _int(i)
    if not items:
        raise EvalError("element(): cannot use element function with an empty list")
    if idx < 0:
        raise EvalError("element(): cannot use element function with a negative index")
    return items[idx % len(items)]


def fn_flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    stack = [iter(_list(v, "flatten"))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return check_size(out)


def fn_index(v: Any, x: Any) -> int:
    for i, item in enumerate(_list(v, "index")):
        if _key(item) == _key(x):
            return i
    raise EvalError("index(): item not found")


def fn_keys(m: Any) -> list[str]:
    if not isinstance(m, dict):
        raise EvalError("keys(): a map or an object is required")
    return sorted(m)


def fn_values(m: Any) -> list[Any]:
    if not isinstance(m, dict):
        raise EvalError("values(): a map or an object is required")
    return [m[k] for k in sorted(m)]


def fn_lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict):
        raise EvalError("lookup(): a map or an object is required")
    k = _s(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup(): the given key {k!r} does not exist and no default was given")


def fn_matchkeys(values: Any, keys: Any, search: Any) -> list[Any]:
    values, keys = _list(values, "matchkeys"), _list(keys, "matchkeys")
    if len(values) != len(keys):
        raise EvalError("matchkeys(): length of keys and values should be equal")
    wanted = {_key(s) for s in _list(search, "matchkeys")}
    return [v for v, k in zip(values, keys) if _key(k) in wanted]


def fn_merge(*args: Any) -> Any:
    out: dict[str, Any] = {}
    for a in args:
        if a is None:
            continue
        if not isinstance(a, dict):
            raise EvalError("merge(): arguments must be maps or objects")
        out.update(a)
    return out


def fn_one(v: Any) -> Any:
    if v is None:
        return None
    items = _list(v, "one")
    if len(items) > 1:
        raise EvalError("one(): must be a list, set, or tuple value with either zero or one elements")
    return items[0] if items else None


def fn_range(*a: Any) -> list[Any]:
    if not 1 <= len(a) <= 3:
        raise EvalError("range(): one, two or three numbers")
    nums = [_num(x) for x in a]
    start, limit = (0, nums[0]) if len(nums) == 1 else (nums[0], nums[1])
    step = nums[2] if len(nums) == 3 else (1 if start <= limit else -1)
    if step == 0:
        raise EvalError("range(): the step must not be zero")
    if (step > 0 and start > limit) or (step < 0 and start < limit):
        if len(nums) == 3:
            raise EvalError("range(): the step goes the wrong way for start and limit")
        return []
    n = max(math.ceil((limit - start) / step), 0)
    check_count(n, "range()")
    return [number(start + i * step) for i in range(n)]


def fn_reverse(v: Any) -> list[Any]:
    return list(reversed(_list(v, "reverse")))


def fn_setproduct(*sets: Any) -> list[Any]:
    if len(sets) < 2:
        raise EvalError("setproduct(): at least two arguments are required")
    lists = [_list(s, "setproduct") for s in sets]
    check_count(math.prod(len(x) for x in lists), "setproduct()")
    out: list[list[Any]] = [[]]
    for lst in lists:
        out = [prefix + [x] for prefix in out for x in lst]
    return out


def fn_setunion(*sets: Any) -> list[Any]:
    return fn_toset([x for s in sets for x in _list(s, "setunion")])


def fn_setintersection(first: Any, *rest: Any) -> list[Any]:
    others = [{_key(x) for x in _list(s, "setintersection")} for s in rest]
    return fn_toset([x for x in _list(first, "setintersection") if all(_key(x) in o for o in others)])


def fn_setsubtract(a: Any, b: Any) -> list[Any]:
    drop = {_key(x) for x in _list(b, "setsubtract")}
    return fn_toset([x for x in _list(a, "setsubtract") if _key(x) not in drop])


def fn_slice(v: Any, start: Any, end: Any) -> list[Any]:
    items, s, e = _list(v, "slice"), _int(start), _int(end)
    if s < 0 or e > len(items) or s > e:
        raise EvalError("slice(): indices out of range")
    return items[s:e]


def fn_sort(v: Any) -> list[str]:
    items = _list(v, "sort")
    if any(x is None for x in items):
        raise EvalError("sort(): given list element is null")
    return sorted(tf_str(x) for x in items)


def fn_sum(v: Any) -> Any:
    items = _list(v, "sum") if not isinstance(v, dict) else list(v.values())
    if not items:
        raise EvalError("sum(): cannot sum an empty list")
    return number(sum(_num(x) for x in items)) if any(isinstance(_num(x), float) for x in items) else sum(_num(x) for x in items)


def fn_transpose(m: Any) -> dict[str, list[str]]:
    if not isinstance(m, dict):
        raise EvalError("transpose(): a map of lists of strings is required")
    out: dict[str, list[str]] = {}
    for k in sorted(m):
        for v in _list(m[k], "transpose"):
            out.setdefault(_s(v), []).append(k)
    return out


def fn_zipmap(keys: Any, values: Any) -> dict[str, Any]:
    keys, values = _list(keys, "zipmap"), _list(values, "zipmap")
    if len(keys) != len(values):
        raise EvalError("zipmap(): number of keys and values must match")
    return {_s(k): v for k, v in zip(keys, values)}


def fn_concat(*lists: Any) -> list[Any]:
    return check_size([x for part in lists for x in _list(part, "concat")])


COLLECTION_FUNCTIONS = {
    "alltrue": lambda v: all(_truth(x, "alltrue") for x in _list(v, "alltrue")),
    "anytrue": lambda v: any(_truth(x, "anytrue") for x in _list(v, "anytrue")),
    "chunklist": fn_chunklist,
    "coalesce": fn_coalesce,
    "coalescelist": fn_coalescelist,
    "compact": fn_compact,
    "concat": fn_concat,
    "contains": fn_contains,
    "distinct": fn_distinct,
    "element": fn_element,
    "flatten": fn_flatten,
    "index": fn_index,
    "keys": fn_keys,
    "lookup": fn_lookup,
    "matchkeys": fn_matchkeys,
    "merge": fn_merge,
    "one": fn_one,
    "range": fn_range,
    "reverse": fn_reverse,
    "setintersection": fn_setintersection,
    "setproduct": fn_setproduct,
    "setsubtract": fn_setsubtract,
    "setunion": fn_setunion,
    "slice": fn_slice,
    "sort": fn_sort,
    "sum": fn_sum,
    "transpose": fn_transpose,
    "values": fn_values,
    "zipmap": fn_zipmap,
    "toset": fn_toset,
    "tolist": fn_tolist,
}
