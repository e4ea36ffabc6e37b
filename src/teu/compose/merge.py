"""The Compose Specification's merge rules (13-merge.md), for `-f a -f b` and `extends`.

Mappings merge key by key; sequences append; `command`, `entrypoint` and
`healthcheck.test` are replaced; ports, volumes, secrets and configs merge by their
unique key; `!reset` removes an attribute, `!override` replaces it whole. Both sides
are canonical (teu.compose.canonical) so short and long syntax meet as equals.
"""

from __future__ import annotations

from typing import Any

from teu.compose.yamlfile import Override, Reset

# Attributes (by path below a service) replaced, not merged.
_REPLACED = {"command", "entrypoint", "healthcheck.test", "build.args"}
_REPLACED_SEQ = {"command", "entrypoint", "healthcheck.test"}
# Sequences of unique resources: the key that makes an entry unique.


def _port_key(p: dict) -> tuple:
    return (p.get("host_ip"), p.get("target"), p.get("published"), p.get("protocol"))


_UNIQUE = {
    "volumes": lambda v: v.get("target"),
    "secrets": lambda v: v.get("target") or v.get("source"),
    "configs": lambda v: v.get("target") or v.get("source"),
    "ports": _port_key,
}
# Sequences merged as sets (no duplicates), as compose-go does.
_SETS = {"dns", "dns_search", "dns_opt", "expose", "cap_add", "cap_drop", "profiles",
         "tmpfs", "external_links", "group_add", "security_opt", "devices"}


def merge(base: Any, over: Any, path: str = "") -> Any:
    """`over` merged onto `base` (new objects; neither is changed)."""
    if isinstance(over, Override):
        return strip_tags(over.value)
    if isinstance(over, Reset):
        return Reset()
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(v, Reset):
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, sub)
            else:
                out[k] = strip_tags(v)
        return out
    if isinstance(base, list) and isinstance(over, list):
        leaf = path.rsplit(".", 1)[-1]
        if _service_path(path) in _REPLACED_SEQ:
            return strip_tags(over)
        unique = _UNIQUE.get(leaf)
        if unique is not None and _service_path(path) == leaf:
            out = list(base)
            for item in over:
                key = unique(item) if isinstance(item, dict) else item
                for i, old in enumerate(out):
                    if (unique(old) if isinstance(old, dict) else old) == key:
                        out[i] = merge(old, item, path) if isinstance(old, dict) else item
                        break
                else:
                    out.append(strip_tags(item))
            return out
        if leaf in _SETS:
            out = list(base)
            out.extend(strip_tags(x) for x in over if x not in out)
            return out
        return list(base) + [strip_tags(x) for x in over]
    return strip_tags(over)


def _service_path(path: str) -> str:
    """`services.web.healthcheck.test` -> `healthcheck.test`."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] == "services":
        return ".".join(parts[2:])
    return path


def strip_tags(node: Any) -> Any:
    """A value with !override unwrapped and !reset entries dropped."""
    if isinstance(node, Override):
        return strip_tags(node.value)
    if isinstance(node, dict):
        return {k: strip_tags(v) for k, v in node.items() if not isinstance(v, Reset)}
    if isinstance(node, list):
        return [strip_tags(v) for v in node if not isinstance(v, Reset)]
    return node
