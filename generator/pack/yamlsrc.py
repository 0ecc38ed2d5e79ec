"""YAML reading that remembers where every value came from (file, line, JSON pointer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.errors import PackError


def pointer_join(base: str, key: str | int) -> str:
    """Append one RFC 6901 token to a JSON pointer."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


@dataclass
class SourceMap:
    """JSON pointer -> 1-based line of the YAML node it came from."""

    file: str
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, pointer: str) -> int | None:
        """Return the line of ``pointer`` or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def error(self, message: str, pointer: str, hint: str | None = None) -> PackError:
        """Build a PackError located at ``pointer`` (file, line and pointer)."""
        return PackError(message, file=self.file, line=self.line(pointer), pointer=pointer, hint=hint)


def load_yaml_with_lines(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data plus a pointer-to-line map; errors carry the line."""
    import yaml

    from generator.safeload import compose_yaml

    smap = SourceMap(file)
    # libyaml's composer is ~10x faster and gives the same nodes and marks; the safe reader refuses
    # unknown tags, alias bombs, huge integers and deep nesting before anything is expanded.
    node = compose_yaml(text, file, error=PackError)
    if node is None:
        raise PackError("the file is empty", file=file, line=1)
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def convert(n: Any, ptr: str) -> Any:
        smap.lines.setdefault(ptr, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in n.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise PackError("YAML merge keys (<<) are not supported in packs", file=file,
                                    line=key_node.start_mark.line + 1, pointer=ptr)
                if not isinstance(key_node, yaml.ScalarNode):
                    raise PackError("mapping keys must be plain text", file=file,
                                    line=key_node.start_mark.line + 1, pointer=ptr)
                key = str(key_node.value)
                if key in out:
                    raise PackError(f"duplicate key {key!r}", file=file, line=key_node.start_mark.line + 1,
                                    pointer=pointer_join(ptr, key))
                out[key] = convert(value_node, pointer_join(ptr, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [convert(item, pointer_join(ptr, i)) for i, item in enumerate(n.value)]
        # Dates stay text: a pack's effective date is written, compared and shown as written.
        if n.tag == "tag:yaml.org,2002:timestamp":
            return n.value
        return constructor.construct_object(n, deep=True)

    return convert(node, ""), smap
