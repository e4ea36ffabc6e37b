"""teu.api.networks: docker's network verbs from Python, on a Client's store.

    from teu.api import Client, networks
    teu = Client()
    networks.create(teu, "app", subnet="10.90.0.0/24")
    teu.run("busybox", ["true"], network="app", publish=["8080:80"], detach=True)
    networks.inspect(teu, "app")["Containers"]

Errors are teu.errors.TeuError (teu.network.errors.NetworkError for network ones).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.api.client import Client


def create(client: Client, name: str, driver: str = "bridge", subnet: str = "",
           gateway: str = "", ip_range: str = "", ipv6: bool = False, internal: bool = False,
           labels: dict | None = None, options: dict | None = None) -> dict:
    """docker network create; returns the network as `inspect` shows it."""
    from teu.network.store import Store

    v4 = subnet if ":" not in subnet else ""
    v6 = subnet if ":" in subnet else ""
    Store(client.root).create(name, driver, v4, gateway, ip_range, v6, "", ipv6, internal,
                              labels, options)
    return inspect(client, name)


def ls(client: Client) -> list[dict]:
    from teu.network.store import Store

    return [n.inspect() for n in Store(client.root).all()]


def inspect(client: Client, name: str) -> dict:
    from teu.engine.network import inspect_network

    return inspect_network(client._engine(), name)


def remove(client: Client, name: str, force: bool = False) -> None:
    from teu.engine.network import remove_network

    remove_network(client._engine(), name, force)


def prune(client: Client) -> list[str]:
    from teu.engine.network import prune as prune_networks

    return prune_networks(client._engine())


def connect(client: Client, network: str, container: str, ip: str = "",
            aliases: list[str] | None = None) -> None:
    from teu.engine.network import connect as connect_container

    connect_container(client._engine(), network, container, ip, "", aliases)


def disconnect(client: Client, network: str, container: str, force: bool = False) -> None:
    from teu.engine.network import disconnect as disconnect_container

    disconnect_container(client._engine(), network, container, force)
