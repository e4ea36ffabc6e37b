"""Test hosts for the networking tests: a network namespace made by the test, teu run
inside it with `nsenter --net` (never `ip netns exec`, which remounts /sys), and its
removal afterwards, which takes every bridge, veth, VXLAN device and nftables rule made
inside with it. Nothing here touches the machine's own network namespace.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from tests.integration.engine_helpers import Teu, mounts_under, seed


class TestHost:
    """A network namespace at /run/netns/<name>, loopback up."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"teutest-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.path = f"/run/netns/{self.name}"
        self.run("ip", "link", "set", "lo", "up")

    def prefix(self) -> list[str]:
        return ["nsenter", f"--net={self.path}"]

    def run(self, *args: str, check: bool = True, timeout: float = 30
            ) -> subprocess.CompletedProcess:
        p = subprocess.run([*self.prefix(), *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} -> {p.returncode}: {p.stderr}")
        return p

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*self.prefix(), *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def links(self) -> list[str]:
        out = self.run("ip", "-o", "link").stdout
        return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False)


class HostTeu(Teu):
    """teu with its own root, run inside a test host, on the default bridge."""

    def __init__(self, top: Path, host: TestHost) -> None:
        super().__init__(top)
        self.host = host
        self.base = [*host.prefix(), *self.base]
        self.env["TEU_NETWORK"] = "bridge"

    def records(self) -> list[str]:
        d = self.root / "networks" / "results"
        return sorted(os.listdir(d)) if d.is_dir() else []

    def leases(self) -> list[str]:
        d = self.root / "networks" / "ipam"
        if not d.is_dir():
            return []
        return sorted(f"{n}/{f}" for n in os.listdir(d) for f in os.listdir(d / n)
                      if f[0].isdigit() and not f.startswith("last_reserved_ip"))


def host_teu(tmp_path: Path, host: TestHost | None = None):  # noqa: ANN201 - a generator
    """A test host with a private teu and the busybox image; afterwards no container,
    attachment record, IPAM lease or mount is left, and the test host is gone."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    own = host is None
    host = host or TestHost()
    t = HostTeu(tmp_path, host)
    try:
        seed(t, tmp_path)
        yield t
    finally:
        try:
            t.cleanup()
            assert not t.rows(), f"containers left: {t.rows()}"
            assert not t.records(), f"attachment records left: {t.records()}"
            assert not t.leases(), f"IPAM leases left: {t.leases()}"
            assert not mounts_under(tmp_path), "mounts left"
            left = [n for n in host.links() if n.startswith("veth")]
            assert not left, f"veths left: {left}"
        finally:
            if own:
                host.remove()


def wait_for(fn, timeout: float = 10.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def www(tmp_path: Path, text: str = "hello from httpd\n") -> Path:
    d = tmp_path / "www"
    d.mkdir(exist_ok=True)
    (d / "index.html").write_text(text)
    return d
