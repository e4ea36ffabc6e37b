"""Kubernetes' name rules (apimachinery's validation) and local names converted to them."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def is_label(name: str) -> bool:
    """An RFC 1123 label: container names, most object names (63 at most)."""
    return len(name) <= 63 and bool(_LABEL.match(name))


def is_1035_label(name: str) -> bool:
    """An RFC 1035 label: Service names (a letter first)."""
    return len(name) <= 63 and bool(_LABEL_1035.match(name))


def is_subdomain(name: str) -> bool:
    """An RFC 1123 subdomain: Pod, Deployment, ConfigMap, Secret, PVC names (253)."""
    return len(name) <= 253 and bool(_SUBDOMAIN.match(name))


def is_port_name(name: str) -> bool:
    """IANA_SVC_NAME: 15 at most, lower case, a letter, no '--'."""
    return (len(name) <= 15 and bool(_PORT_NAME.match(name)) and "--" not in name
            and any(c.isalpha() for c in name))


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def is_env_name(name: str) -> bool:
    return bool(_ENV_NAME.match(name))


def is_config_key(key: str) -> bool:
    return len(key) <= 253 and bool(_CONFIG_KEY.match(key))


def to_label(name: str, service: bool = False) -> str:
    """The nearest RFC 1123 label (RFC 1035 for a Service): lower case, `_` and `.` and
    anything else outside [a-z0-9-] become `-`, ends trimmed, 63 at most."""
    out = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    out = re.sub(r"-{2,}", "-", out)
    if service and out and not out[0].isalpha():
        out = "s-" + out
    out = out[:63].rstrip("-")
    return out or "unnamed"


class Namer:
    """Converts names, saying once on stderr (through `note`) what it changed."""

    def __init__(self, note) -> None:  # noqa: ANN001 - Callable[[str], None]
        self.note = note
        self.said: set[tuple[str, str]] = set()

    def __call__(self, name: str, what: str, service: bool = False) -> str:
        new = to_label(name, service)
        if new != name and (name, what) not in self.said:
            self.said.add((name, what))
            self.note(f"{what} name {name!r} is not a valid Kubernetes name (RFC 1123): "
                      f"written as {new!r}")
        return new
