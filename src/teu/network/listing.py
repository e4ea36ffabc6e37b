"""What `network ls` lists, for every front (the `teu network ls` command and the Engine
API's GET /networks): the store's networks with docker's predefined host and none after
the default one, and docker's filters on them (each key: any of its values)."""

from __future__ import annotations

from collections.abc import Callable

from teu.errors import InvalidArgument
from teu.network.config import Network

FILTERS = ("driver", "id", "name", "label", "scope", "type", "dangling")


def predefined(name: str) -> Network:
    """docker's host and none networks: no conflist (the container uses the host's
    namespace, or one with a loopback only); their IDs are fixed."""
    import hashlib

    return Network(name, hashlib.sha256(name.encode()).hexdigest(),
                   driver="host" if name == "host" else "null")


def networks(root: str) -> list[Network]:
    from teu.network.store import Store

    nets = Store(root).all()
    nets[1:1] = [predefined("host"), predefined("none")]
    return nets


def builtin(net: Network) -> bool:
    return net.is_default or net.name in ("host", "none")


def scope(net: Network) -> str:
    return "global" if net.driver == "overlay" else "local"


def parse(pairs: list[str]) -> dict[str, list[str]]:
    """--filter k=v flags as the API's filters map."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out.setdefault(key, []).append(value)
    return out


def check(filters: dict[str, list[str]]) -> None:
    bad = sorted(set(filters) - set(FILTERS))
    if bad:
        raise InvalidArgument(f"invalid filter '{bad[0]}'")


def matches(net: Network, filters: dict[str, list[str]],
            in_use: Callable[[Network], bool] = lambda _: False) -> bool:
    """docker's network filters; in_use(net) (containers attached) for `dangling`."""
    def one(key: str, value: str) -> bool:
        if key == "driver":
            return net.driver == value
        if key == "id":
            return net.id.startswith(value)
        if key == "name":
            return value in net.name
        if key == "scope":
            return scope(net) == value
        if key == "label":
            k, eq, v = value.partition("=")
            return k in net.labels and (not eq or net.labels[k] == v)
        if key == "type":
            if value not in ("builtin", "custom"):
                raise InvalidArgument(f"invalid filter: 'type'='{value}'")
            return builtin(net) == (value == "builtin")
        if key == "dangling":
            return (not in_use(net)) == (value in ("1", "true"))
        raise InvalidArgument(f"invalid filter '{key}'")

    return all(any(one(key, v) for v in values) for key, values in filters.items())
