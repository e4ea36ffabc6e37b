"""A test host for the network benchmarks: a network namespace of its own (nothing of the
machine's network is touched), commands run in it with `nsenter --net`, removed at the end
with everything made inside it."""

from __future__ import annotations

import subprocess
import uuid


class TestHost:
    def __init__(self) -> None:
        self.name = f"teubench-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.prefix = ["nsenter", f"--net=/run/netns/{self.name}"]
        subprocess.run([*self.prefix, "ip", "link", "set", "lo", "up"], check=True)

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False)
