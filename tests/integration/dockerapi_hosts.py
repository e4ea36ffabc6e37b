"""Engine API tests whose containers need a network: a private dockerd with its own
bridge, and teu's `system service`, each inside a test host of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.integration.dockerapi_helpers import Service, services_over, session_shared
from tests.integration.engine_helpers import IMAGE, busybox_tar
from tests.integration.net_helpers import TestHost, host_teu

from teu.testing.dockerd import Dockerd


def bridged_dockerd(tmp_path: Path) -> Iterator[tuple[TestHost, Dockerd]]:
    """A dockerd with busybox loaded and a bridge of its own, in a fresh test host."""
    host = TestHost()
    tarball = tmp_path / "busybox-docker.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    try:
        d = Dockerd(str(tarball), IMAGE, prefix=host.prefix(), bridge=True)
        try:
            yield host, d
        finally:
            d.stop()
    finally:
        host.remove()


def hosted_service(tmp_path: Path) -> Iterator[tuple[Any, Service]]:
    """`teu system service` over a private teu in a fresh test host: (host, service)."""
    for t in host_teu(tmp_path):
        for s in services_over([t]):
            yield t.host, s


def shared_bridged_dockerd(request: Any) -> tuple[TestHost, Dockerd]:
    """The session's bridged dockerd in its test host (compose, networks, testcontainers)."""
    return session_shared(request, "bridged-dockerd", bridged_dockerd)
