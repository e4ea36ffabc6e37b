"""docker's label filters of the prunes: `label=KEY` or `label=KEY=VALUE` (all must
match) and `label!=...` (none may). Top level so the image, network and engine layers
share one reading of them."""

from __future__ import annotations

from teu.errors import InvalidArgument


def parse(filters: dict[str, list[str]] | list[str] | None,
          allowed: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """{"key": [values]} from the API's map or the CLI's KEY=VALUE list; a key that is
    neither a label filter nor allowed is refused as dockerd refuses it."""
    if isinstance(filters, list):
        flat: dict[str, list[str]] = {}
        for f in filters:
            key, _, value = f.partition("=")
            flat.setdefault(key, []).append(value)
        filters = flat
    for key in filters or {}:
        if key not in ("label", "label!") + allowed:
            raise InvalidArgument(f"invalid filter '{key}'")
    return dict(filters or {})


def matches(labels: dict, filters: dict[str, list[str]]) -> bool:
    return (all(_one(labels, s) for s in filters.get("label", [])) and
            not any(_one(labels, s) for s in filters.get("label!", [])))


def _one(labels: dict, spec: str) -> bool:
    key, eq, value = spec.partition("=")
    return key in labels and (not eq or labels[key] == value)
