"""Networks as docker-py models them: `client.networks.create/get/list/prune` and
`Network` objects (connect, disconnect, remove)."""

from __future__ import annotations

from typing import Any

from teu.api.models.resource import Collection, Model
from teu.errors import InvalidArgument


class Network(Model):
    """A network; `attrs` is `docker network inspect`'s object."""

    @property
    def name(self) -> str | None:
        return self.attrs.get("Name")

    @property
    def containers(self) -> list[Any]:
        """The Containers attached to it (docker-py reloads them the same way)."""
        return [self.client.containers.get(cid) for cid in
                (self.attrs.get("Containers") or {})]

    def reload(self) -> None:
        self.attrs = self.client.networks.get(self.id).attrs

    def connect(self, container: Any, ipv4_address: str | None = None,
                ipv6_address: str | None = None, aliases: list[str] | None = None,
                **kwargs: Any) -> None:
        """docker network connect; `links`, `link_local_ips` and `driver_opt` are refused."""
        from teu.engine.network import connect

        for key, value in kwargs.items():
            if key not in ("links", "link_local_ips", "driver_opt"):
                raise TypeError(f"connect() got an unexpected keyword argument {key!r}")
            if value:
                raise InvalidArgument(f"{key}: not supported by teu")
        ref = getattr(container, "id", container)
        self.client._call(connect, self.id, ref, ipv4_address or "", ipv6_address or "",
                          aliases)

    def disconnect(self, container: Any, force: bool = False) -> None:
        from teu.engine.network import disconnect

        self.client._call(disconnect, self.id, getattr(container, "id", container), force)

    def remove(self) -> None:
        from teu.engine.network import remove_network

        self.client._call(remove_network, self.id)


class NetworkCollection(Collection):
    model = Network

    def create(self, name: str, driver: str | None = None, options: dict | None = None,
               ipam: dict | None = None, check_duplicate: bool | None = None,
               internal: bool = False, labels: dict | None = None,
               enable_ipv6: bool = False, attachable: bool | None = None,
               scope: str | None = None, ingress: bool | None = None) -> Network:
        """docker network create. ipam as docker-py's IPAMConfig: {"Driver": "default",
        "Config": [{"Subnet", "Gateway", "IPRange"}]} (one IPv4 and one IPv6 pool)."""
        from teu.network.store import Store

        if ingress:
            raise InvalidArgument("ingress networks are a swarm feature teu does not have")
        if scope not in (None, "local", "global", "swarm"):
            raise InvalidArgument(f"invalid scope {scope!r}")
        v4: dict = {}
        v6: dict = {}
        if ipam:
            if (ipam.get("Driver") or "default") != "default":
                raise InvalidArgument(f"IPAM driver {ipam['Driver']!r}: teu has 'default'")
            for pool in ipam.get("Config") or []:
                target = v6 if ":" in (pool.get("Subnet") or "") else v4
                if target:
                    raise InvalidArgument("ipam: one IPv4 and one IPv6 pool at most")
                target.update(pool)

        def go(e: Any) -> str:
            net = Store(e.paths.root).create(
                name, driver or "bridge", v4.get("Subnet", ""), v4.get("Gateway", ""),
                v4.get("IPRange", ""), v6.get("Subnet", ""), v6.get("Gateway", ""),
                enable_ipv6, internal, labels or {}, options or {})
            return net.id

        return self.get(self.client._call(go))

    def get(self, network_id: str, verbose: bool | None = None,
            scope: str | None = None) -> Network:
        from teu.engine.network import inspect_network

        return Network(self.client, self.client._call(inspect_network, network_id))

    def list(self, names: list[str] | None = None, ids: list[str] | None = None,
             filters: dict | None = None, greedy: bool = False) -> list[Network]:
        from teu.network.store import Store

        if filters:
            raise InvalidArgument("network list filters are not supported by teu's API yet")
        nets = self.client._call(lambda e: Store(e.paths.root).all())
        return [self.get(n.id) for n in nets
                if (not names or n.name in names) and
                (not ids or any(n.id.startswith(i) for i in ids))]

    def prune(self, filters: dict | None = None) -> dict[str, Any]:
        from teu.engine.network import prune

        if filters:
            raise InvalidArgument("network prune filters are not supported by teu's API yet")
        return {"NetworksDeleted": self.client._call(prune) or None}
