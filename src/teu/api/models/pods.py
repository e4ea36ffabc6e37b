"""Pods as podman-py models them (docker-py has none): `client.pods.create/get/list/
exists/remove`, and `Pod` objects (start, stop, restart, pause, unpause, kill, remove,
reload, containers).
Containers join one with `client.containers.run(..., pod="name")`."""

from __future__ import annotations

from typing import Any

from teu.api.models.resource import Collection, Model


class Pod(Model):
    """A pod; `attrs` is `teu pod inspect`'s object (podman's keys)."""

    @property
    def name(self) -> str | None:
        return self.attrs.get("Name")

    @property
    def status(self) -> str:
        return self.attrs.get("State") or ""

    @property
    def containers(self) -> list[Any]:
        """Its containers, the infra first."""
        return [self.client.containers.get(c["Id"]) for c in self.attrs.get("Containers")
                or []]

    def reload(self) -> None:
        self.attrs = self.client.pods.get(self.id).attrs

    def start(self) -> None:
        from teu.engine.pods.lifecycle import start

        self.client._call(start, self.id)
        self.reload()

    def stop(self, timeout: float | None = None) -> None:
        from teu.engine.pods.lifecycle import stop

        self.client._call(stop, self.id, timeout)
        self.reload()

    def kill(self, signal: str | int = "SIGKILL") -> None:
        from teu.engine.pods.lifecycle import kill

        self.client._call(kill, self.id, str(signal) if isinstance(signal, int) else signal)
        self.reload()

    def restart(self, timeout: float | None = None) -> None:
        from teu.engine.pods.lifecycle import restart

        self.client._call(restart, self.id, timeout)
        self.reload()

    def pause(self) -> None:
        from teu.engine.pods.lifecycle import pause

        self.client._call(pause, self.id)
        self.reload()

    def unpause(self) -> None:
        from teu.engine.pods.lifecycle import unpause

        self.client._call(unpause, self.id)
        self.reload()

    def remove(self, force: bool = False) -> None:
        from teu.engine.pods.lifecycle import remove

        self.client._call(remove, self.id, force)


class PodCollection(Collection):
    model = Pod

    def create(self, name: str | None = None, *, hostname: str | None = None,
               labels: dict[str, str] | None = None, network: str | list[str] | None = None,
               ports: dict | None = None, share: str | None = None,
               dns: list[str] | None = None, extra_hosts: dict | None = None,
               cpus: float | None = None, mem_limit: str | int | None = None) -> Pod:
        """teu pod create. `ports` as docker-py's ({"80/tcp": 8080}), `network` a name or
        names, `share` "ipc,net,uts" (the default); `cpus` and `mem_limit` ("64m" or
        bytes) limit the pod's containers together (its own cgroup)."""
        from teu.api.runargs import KEYWORDS
        from teu.engine.pods.lifecycle import create

        opts: dict[str, Any] = {"name": name, "hostname": hostname, "share": share,
                                "label": [f"{k}={v}" for k, v in (labels or {}).items()]}
        if network:
            opts["network"] = [network] if isinstance(network, str) else list(network)
        if ports:
            opts.update(KEYWORDS["ports"](ports))
        if dns:
            opts["dns"] = list(dns)
        if cpus:
            opts["cpus"] = str(cpus)
        if mem_limit:
            opts["memory"] = str(mem_limit)
        if extra_hosts:
            opts.update(KEYWORDS["extra_hosts"](extra_hosts))
        pod = self.client._call(create, opts)
        return self.get(pod.id)

    def get(self, pod_id: str) -> Pod:
        """By name, ID or unique ID prefix; teu.errors.NotFound if none."""
        from teu.engine.pods import store, view

        return Pod(self.client, self.client._call(
            lambda e: view.inspect(e, store.find(e.db, pod_id))))

    def exists(self, pod_id: str) -> bool:
        from teu.errors import NotFound

        try:
            self.get(pod_id)
        except NotFound:
            return False
        return True

    def list(self, filters: dict | None = None) -> list[Pod]:
        """podman-py's filters: {"name": ..., "id": ..., "label": ..., "status": ...}."""
        from teu.engine.pods.view import listing

        flat = []
        for k, v in (filters or {}).items():
            flat += [f"{k}={x}" for x in (v if isinstance(v, list) else [v])]
        items = self.client._call(listing, flat, True)
        return [self.get(i["ID"]) for i in items]

    def remove(self, pod_id: str, force: bool = False) -> None:
        from teu.engine.pods.lifecycle import remove

        self.client._call(remove, pod_id, force)
