"""Compose files read with PyYAML, keeping each key's line so errors can name it.

Mappings come back as `Mapping` (a dict that remembers the line of each key), lists
as `Sequence` (a list that remembers each item's line). The Compose merge tags wrap
their value: `!reset` becomes `Reset()`, `!override` becomes `Override(value)`.
YAML anchors, aliases and `<<` merge keys are YAML's own, resolved by PyYAML.
"""

from __future__ import annotations

from typing import Any

from teu.compose.errors import ComposeError


class Mapping(dict):
    """A YAML mapping; `lines[key]` is the 1-based line of that key."""

    lines: dict
    start: int = 0


class Sequence(list):
    """A YAML sequence; `lines[i]` is the 1-based line of item i."""

    lines: list
    start: int = 0


class Reset:
    """`!reset`: the merged attribute goes back to its default (removed)."""

    def __repr__(self) -> str:
        return "Reset()"


class Override:
    """`!override VALUE`: VALUE replaces the attribute instead of merging into it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Override({self.value!r})"


def _loader_class():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # The C loader gives node marks too; constructing stays in Python either way.

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader, node, deep=False):
        own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        loader.flatten_mapping(node)  # resolves `<<` merge keys (put first, own keys win)
        first_own = len(node.value) - own
        out = Mapping()
        out.lines = {}
        out.start = node.start_mark.line + 1
        own_keys: dict = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise ComposeError(f"line {line}: a mapping key must be a string") from None
            if index >= first_own:
                if key in own_keys:
                    # YAML forbids it; docker compose refuses it too.
                    raise ComposeError(f"line {line}: mapping key {key!r} already defined "
                                       f"at line {own_keys[key]}")
                own_keys[key] = line
            out[key] = loader.construct_object(value_node, deep=True)
            out.lines[key] = line
        return out

    def construct_sequence(loader, node, deep=False):
        out = Sequence(loader.construct_object(child, deep=True) for child in node.value)
        out.lines = [child.start_mark.line + 1 for child in node.value]
        out.start = node.start_mark.line + 1
        return out

    def construct_reset(loader, node):
        return Reset()

    def construct_override(loader, node):
        import yaml as y

        if isinstance(node, y.MappingNode):
            return Override(construct_mapping(loader, node))
        if isinstance(node, y.SequenceNode):
            return Override(construct_sequence(loader, node))
        return Override(loader.construct_scalar(node))

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_sequence)
    Loader.add_constructor("!reset", construct_reset)
    Loader.add_constructor("!override", construct_override)
    return Loader


_LOADER = None


def parse(text: str, name: str) -> Any:
    """The document in `text` (file `name` for messages); ComposeError on bad YAML."""
    global _LOADER
    import yaml

    if _LOADER is None:
        _LOADER = _loader_class()
    try:
        docs = list(yaml.load_all(text, Loader=_LOADER))  # noqa: S506 (a SafeLoader)
    except ComposeError as e:
        raise ComposeError(f"{name}: {e}") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ComposeError(f"{name}{line}: invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ComposeError(f"{name}: invalid YAML: {e}") from None
    docs = [d for d in docs if d is not None]
    if not docs:
        return Mapping()
    if len(docs) > 1:
        raise ComposeError(f"{name}: a Compose file holds one YAML document, found {len(docs)}")
    doc = docs[0]
    if not isinstance(doc, dict):
        raise ComposeError(f"{name}: top-level object must be a mapping")
    return doc


def line_of(node: Any, key: Any) -> int | None:
    """The line of `key` in a Mapping (or item index in a Sequence), if known."""
    lines = getattr(node, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key)
    if isinstance(lines, list) and isinstance(key, int) and key < len(lines):
        return lines[key]
    return None
