"""Field references: generic fields (name, type, tags['x'] ...), aliases (with `[*]`), expressions.

`compile_field(text, pointer)` returns a FieldRef. `FieldRef.select(scope)` gives either a single
value (MISSING when absent, UNKNOWN when not known yet) or, for `[*]` aliases, a `Collection` of
the selected values (Microsoft's "author policies for array properties").
"""

from __future__ import annotations

from typing import Any

from generator.engine.aliases import STAR, AliasTable, parse_path
from generator.engine.values import MISSING, UNKNOWN, EvaluationError, ci_get
from generator.errors import PolicyCompileError

__all__ = ["FieldRef", "Collection", "compile_field", "walk", "collect"]


class _Slow:
    __slots__ = ()


SLOW = _Slow()  # member_value(): "use select()"


class Collection(list):
    """Values selected by a `[*]` alias; `exact` is False when an array's length is unknown."""

    __slots__ = ("exact",)

    def __init__(self, values: list | None = None, exact: bool = True) -> None:
        super().__init__(values or ())
        self.exact = exact


def walk(root: Any, segs: tuple) -> Any:
    """Follow a path without `[*]`: MISSING when absent, UNKNOWN when a step is unknown."""
    cur = root
    for seg in segs:
        if type(cur) is dict:
            # The usual step: a property spelled as in the alias (ci_get tries the exact key first too).
            try:
                cur = cur[seg]
                continue
            except (KeyError, TypeError):
                pass
        if cur is UNKNOWN:
            return UNKNOWN
        if isinstance(seg, str):
            if isinstance(cur, dict):
                cur = ci_get(cur, seg)
                if cur is MISSING:
                    return MISSING
            else:
                return MISSING
        elif isinstance(seg, int):
            if isinstance(cur, list) and -len(cur) <= seg < len(cur):
                cur = cur[seg]
            else:
                return MISSING
        else:  # STAR in a single-value walk: callers use collect() instead
            return MISSING
    return cur


def collect(root: Any, segs: tuple, out: Collection, start: int = 0) -> None:
    """Select the values of a `[*]` path into out; missing arrays contribute nothing."""
    cur = root
    n = len(segs)
    i = start
    while i < n:
        seg = segs[i]
        if cur is UNKNOWN:
            # Past a `[*]` we do not know how many values there are; before it, the value is one.
            if any(s is STAR for s in segs[i:]):
                out.exact = False
            else:
                out.append(UNKNOWN)
            return
        if seg is STAR:
            if isinstance(cur, list):
                for item in cur:
                    collect(item, segs, out, i + 1)
            # A missing (or non-array) property selects an empty collection.
            return
        if isinstance(seg, str):
            if not isinstance(cur, dict):
                return _absent(segs, i, out)
            cur = ci_get(cur, seg)
            if cur is MISSING:
                return _absent(segs, i, out)
        else:
            if not (isinstance(cur, list) and -len(cur) <= seg < len(cur)):
                return _absent(segs, i, out)
            cur = cur[seg]
        i += 1
    out.append(cur)


def _absent(segs: tuple, i: int, out: Collection) -> None:
    # A property missing before the first remaining `[*]` gives an empty collection; missing
    # after the last `[*]` (inside an element) selects null for that element.
    if not any(s is STAR for s in segs[i:]):
        out.append(MISSING)


GENERIC = {"name", "fullname", "kind", "type", "location", "id", "identity.type", "tags"}


class FieldRef:
    """A compiled field reference; `collection` is True for `[*]` aliases."""

    __slots__ = ("text", "kind", "segments", "key", "collection", "_table", "_cache", "is_location", "_expr", "_rel",
                 "_member")

    def __init__(self, text: str, kind: str, segments: tuple = (), collection: bool = False) -> None:
        self.text = text
        self.kind = kind  # "name" | "fullname" | "path" | "tag" | "alias" | "expr"
        self.segments = segments
        self.key = _seg_key(segments)
        self.collection = collection
        self.is_location = kind == "path" and segments == ("location",)
        self._table: AliasTable | None = None
        self._cache: dict[str, tuple] = {}
        self._expr: Any = None
        # (own key, counted key) -> False, or (start, rest segments, rest has [*]): see select().
        self._rel: dict[tuple, Any] = {}
        # (counted key, resource type) -> segments below the counted member, or False: member_value().
        self._member: dict[tuple, Any] = {}

    def __repr__(self) -> str:
        return f"FieldRef({self.text!r})"

    # -- path resolution ------------------------------------------------------------------
    def path(self, scope: Any) -> Any:
        """(segments, lower-case key) of this field for the scope's resource type.

        None when the alias does not apply to the type (the field is missing); UNKNOWN when no
        alias table knows the alias (never guessed; the scope records why).
        """
        if self.kind == "expr":
            return self.resolve_dynamic(scope).path(scope)
        if self.kind == "none":
            return None
        if self.kind != "alias":
            return self.segments, self.key
        table = scope.aliases
        if table is not self._table:
            self._table = table
            self._cache = {}
        rtype = scope.resource.get("type")
        if rtype is UNKNOWN or not isinstance(rtype, str):
            rtype = ""
        hit = self._cache.get(rtype)
        if hit is None:
            if rtype and table.has_versions(rtype):
                # Per-API-version paths (synced): resolve for the request's version, uncached here.
                api = scope.request_context.get("apiVersion") if isinstance(scope.request_context, dict) else None
                res = table.resolve(self.text, rtype, api if isinstance(api, str) else None)
                return _resolution_hit(res, scope, self.text)
            res = table.resolve(self.text, rtype)
            segs = res.segments
            hit = (segs, _seg_key(segs) if segs is not None else None, res.warning, res.unknown)
            self._cache[rtype] = hit
        if hit[2] is not None:
            if hit[3]:
                scope.note_unknown_alias(self.text, hit[2])
            else:
                scope.warn(hit[2])
        if hit[3]:
            return UNKNOWN
        if hit[0] is None:
            return None
        return hit[0], hit[1]

    # -- selection ------------------------------------------------------------------------
    def select(self, scope: Any) -> Any:
        """The selected value (MISSING/UNKNOWN possible) or a Collection for `[*]` fields."""
        kind = self.kind
        if kind == "expr":
            return self.resolve_dynamic(scope).select(scope)
        resource = scope.resource
        if kind == "none":
            return Collection() if self.collection else MISSING
        if kind == "name" or (kind == "path" and not self.collection):
            if len(self.segments) == 1:
                v = ci_get(resource, self.segments[0])
                return v
            return walk(resource, self.segments)
        if kind == "tag":
            tags = ci_get(resource, "tags")
            if tags is UNKNOWN:
                return UNKNOWN
            if not isinstance(tags, dict):
                return MISSING
            return ci_get(tags, self.segments[1])
        if kind == "fullname":
            return _full_name(resource)
        found = self.path(scope)
        if found is None:
            return Collection() if self.collection else MISSING
        if found is UNKNOWN:
            return Collection(exact=False) if self.collection else UNKNOWN
        segs, key = found
        if not self.collection:
            return walk(resource, segs)
        out = Collection()
        frames = scope.frames
        if frames:
            # Inside count.where, the counted array holds only its current member. Which frame a
            # path falls under is worked out once per (path, counted path): this runs per member.
            rels = self._rel
            for frame in reversed(frames):
                fkey = frame.key
                if fkey is None:
                    continue
                rk = (key, fkey)
                rel = rels.get(rk)
                if rel is None:
                    n = len(fkey)
                    if n <= len(key) and key[:n] == fkey:
                        rest = segs[n:]
                        rel = (n, rest, any(x is STAR for x in rest))
                    else:
                        rel = False
                    if len(rels) < 256:
                        rels[rk] = rel
                if rel is False:
                    continue
                if rel[2]:
                    collect(frame.element, segs, out, rel[0])
                else:
                    # No [*] below the member: one value, as collect() would select it.
                    out.append(walk(frame.element, rel[1]) if rel[1] else frame.element)
                return out
        collect(resource, segs, out)
        return out

    def member_value(self, scope: Any) -> Any:
        """Inside count.where: the one value this `[*]` alias selects from the current member.

        SLOW when that is not a single value reachable from the innermost counted member (then
        select() decides). Same outcome as select() giving a one-member Collection, without one.
        """
        frame = scope.frames[-1]
        fkey = frame.key
        table = scope.aliases
        if fkey is None or table is not self._table:
            return SLOW
        rtype = scope.resource.get("type")
        k = (fkey, rtype)
        rest = self._member.get(k)
        if rest is None:
            rest = False
            if isinstance(rtype, str) and not table.has_versions(rtype):
                res = table.resolve(self.text, rtype)
                if res.segments is not None and not res.unknown:
                    segs = res.segments
                    key = _seg_key(segs)
                    n = len(fkey)
                    if n <= len(key) and key[:n] == fkey and not any(x is STAR for x in segs[n:]):
                        rest = segs[n:]
            if len(self._member) < 256:
                self._member[k] = rest
        if rest is False:
            return SLOW
        return walk(frame.element, rest) if rest else frame.element

    def value(self, scope: Any) -> Any:
        """The value as `field()` returns it: an array for `[*]`, '' for a missing property."""
        if self.kind == "alias" and not self.collection:
            # select() for a single-value alias, inlined (field() in expressions is hot).
            found = self.path(scope)
            if found is UNKNOWN:
                return UNKNOWN
            v = MISSING if found is None else walk(scope.resource, found[0])
            return "" if v is MISSING else v
        v = self.select(scope)
        if isinstance(v, Collection):
            if not v.exact:
                return UNKNOWN
            return [None if x is MISSING else x for x in v]
        if v is MISSING:
            # Microsoft's array-properties page: field('missingArray') returns "".
            return ""
        return v

    def resolve_dynamic(self, scope: Any) -> "FieldRef":
        """For a field given as an expression: evaluate it and compile the resulting name."""
        name = self._expr.evaluate(scope)
        if name is UNKNOWN:
            raise EvaluationError(f"field name {self.text!r} depends on an unknown value")
        if not isinstance(name, str):
            raise EvaluationError(f"field expression {self.text!r} gave {type(name).__name__} {name!r}, "
                                  "not a field name")
        ref = self._cache.get(name)
        if ref is None:
            if _selects_nothing(name):
                # Built from an empty parameter (concat('tags[', '', ']')): Azure selects nothing.
                ref = FieldRef(name, "none")
            else:
                try:
                    ref = compile_field(name, "")
                except PolicyCompileError as exc:
                    raise EvaluationError(
                        f"field expression {self.text!r} gave an invalid field: {exc.message}") from None
            if len(self._cache) < 256:
                self._cache[name] = ref
        return ref


def _selects_nothing(name: str) -> bool:
    """True for a field name that names no property: '', 'tags[]', "tags['']", 'tags.', a trailing '/'."""
    low = name.strip().lower()
    return low in ("", "tags[]", "tags['']", "tags.") or low.endswith("/")


def _resolution_hit(res: Any, scope: Any, text: str) -> Any:
    if res.warning is not None:
        if res.unknown:
            scope.note_unknown_alias(text, res.warning)
        else:
            scope.warn(res.warning)
    if res.unknown:
        return UNKNOWN
    if res.segments is None:
        return None
    return res.segments, _seg_key(res.segments)


def _seg_key(segs: tuple | None) -> tuple:
    if segs is None:
        return ()
    return tuple(s.lower() if isinstance(s, str) else s for s in segs)


def _full_name(resource: dict) -> Any:
    full = ci_get(resource, "fullName")
    if full is not MISSING:
        return full
    rid = ci_get(resource, "id")
    if isinstance(rid, str) and "/providers/" in rid.lower():
        # /providers/NS/type1/name1/type2/name2 -> name1/name2
        idx = rid.lower().rindex("/providers/")
        parts = [p for p in rid[idx + len("/providers/") :].split("/") if p]
        names = parts[2::2]
        if names:
            return "/".join(names)
    return ci_get(resource, "name")


def compile_field(text: Any, pointer: str) -> FieldRef:
    """Compile the value of a `field` key (or of field()); raises PolicyCompileError."""
    from generator.engine.expressions import is_expression, unescape_literal

    if not isinstance(text, str) or not text.strip():
        raise PolicyCompileError(f"'field' must be a non-empty string, not {text!r}", pointer=pointer)
    if is_expression(text):
        from generator.engine.conditions import compile_value

        ref = FieldRef(text, "expr")
        ref._expr = compile_value(text, pointer)
        return ref
    text = unescape_literal(text)
    low = text.lower()
    if low == "fullname":
        return FieldRef(text, "fullname")
    if low == "name":
        return FieldRef(text, "name", ("name",))
    if low.startswith("tags") and len(text) > 4 and text[4] in ".[":
        tag = _tag_name(text[4:])
        if tag is None:
            raise PolicyCompileError(f"malformed tag field {text!r}", pointer=pointer)
        return FieldRef(text, "tag", ("tags", tag))
    if "/" not in text:
        # Generic fields (type, kind, location, id, identity.type, tags) and other top-level
        # paths such as identity.userAssignedIdentities read the resource directly.
        try:
            segs = parse_path(text)
        except ValueError as exc:
            raise PolicyCompileError(f"malformed field {text!r}: {exc}", pointer=pointer) from None
        return FieldRef(text, "path", segs, collection=any(s is STAR for s in segs))
    try:
        parse_path(text.rsplit("/", 1)[-1])
    except ValueError as exc:
        raise PolicyCompileError(f"malformed alias {text!r}: {exc}", pointer=pointer) from None
    return FieldRef(text, "alias", (), collection="[*]" in text)


def _tag_name(rest: str) -> str | None:
    # tags.x, tags['x'] (with '' for a quote), tags[x] and tags[tag.with.dots]
    if rest.startswith("."):
        return rest[1:] or None
    if rest.startswith("[") and rest.endswith("]"):
        inner = rest[1:-1]
        if len(inner) >= 2 and inner[0] == "'" and inner[-1] == "'":
            return inner[1:-1].replace("''", "'")
        return inner or None
    return None
