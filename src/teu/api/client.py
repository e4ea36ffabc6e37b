"""teu.api.Client: docker-py's DockerClient, in-process, with no daemon.

    import teu
    client = teu.from_env()                       # $TEU_ROOT / $TEU_RUNROOT, or the defaults
    client.containers.run("busybox", "echo hi")   # b"hi\\n"
    c = client.containers.run("busybox", "sleep 60", detach=True, mem_limit="64m")
    c.exec_run("hostname"); c.logs(); c.stop(timeout=1); c.remove()
    client.images.pull("127.0.0.1:5000/library/busybox")
    client.sandbox.run("echo $((6*7))", image="busybox").stdout   # every limit on
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from teu.api.models.containers import ContainerCollection
from teu.api.models.images import ImageCollection
from teu.api.models.networks import NetworkCollection
from teu.api.models.pods import PodCollection
from teu.api.models.volumes import VolumeCollection
from teu.api.sandbox import Sandbox


class Client:
    """The engine's objects as collections: containers, images, volumes, networks, pods
    (podman-py's shape); and sandbox."""

    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        from teu.engine.paths import Paths

        p = Paths(root, runroot)
        self.root = p.root
        self.runroot = p.runroot
        self.containers = ContainerCollection(self)
        self.images = ImageCollection(self)
        self.volumes = VolumeCollection(self)
        self.networks = NetworkCollection(self)
        self.pods = PodCollection(self)
        self.sandbox = Sandbox(self)
        from teu.api.compose import ComposeCollection

        self.compose = ComposeCollection(self)  # Compose projects (teu.compose)

    def __repr__(self) -> str:
        return f"<teu.Client root={self.root!r} runroot={self.runroot!r}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close: each call opens the store and closes it (docker-py has
        a connection pool here)."""

    def _engine(self):  # noqa: ANN202 - teu.engine.context.Engine, imported lazily
        from teu.engine.context import Engine

        return Engine(self.root, self.runroot)

    def _call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """fn(engine, ...) with an engine opened for this call alone."""
        e = self._engine()
        try:
            return fn(e, *args, **kw)
        finally:
            e.close()

    def ping(self) -> bool:
        """True: there is no daemon to be down."""
        return True

    def info(self) -> dict[str, Any]:
        """docker info's object."""
        from teu.engine.views.system import info

        return self._call(info)

    def df(self) -> dict[str, Any]:
        """docker system df's objects."""
        from teu.engine.views.system import df

        return {"Rows": self._call(df)}

    def bench(self, image: str | None = None, **options: Any) -> dict[str, Any]:
        """`teu bench --json`'s result for `image` of this store (teu.api.bench)."""
        from teu.api.bench import run

        return run(self.root, image, **options)

    def version(self) -> dict[str, Any]:
        import platform

        import teu

        return {"Version": getattr(teu, "__version__", "0"), "ApiVersion": "1.41",
                "Os": "linux", "Arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(
                    platform.machine(), platform.machine()),
                "KernelVersion": platform.release(), "Components": [
                    {"Name": "teu", "Version": getattr(teu, "__version__", "0")}]}


def from_env(environment: dict[str, str] | None = None) -> Client:
    """A Client for the store $TEU_ROOT and the runtime state $TEU_RUNROOT (docker-py's
    from_env reads DOCKER_HOST instead: teu has no daemon to find)."""
    env = os.environ if environment is None else environment
    return Client(env.get("TEU_ROOT") or None, env.get("TEU_RUNROOT") or None)
