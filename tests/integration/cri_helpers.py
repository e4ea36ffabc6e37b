"""containerd with teu's handler for the CRI tests: one node, the pod's cgroup parent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from tests.conftest import runtime_binary

from teu.testing.crinode import CriNode, missing_tools, remove_cgroup_tree


def cri_node() -> Iterator[tuple[CriNode, str]]:
    """containerd in its own network namespace with the teu handler and the two images;
    the pod's cgroup parent, emptied and removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if missing_tools():
        pytest.skip(f"not installed: {missing_tools()} (deps/debian-packages.txt)")
    cgroup_parent = f"/teu-cri-{uuid.uuid4().hex[:8]}"
    daemon = None
    try:
        daemon = CriNode(runtime_binary())
        daemon.load_images()
        yield daemon, cgroup_parent
    finally:
        if daemon is not None:
            daemon.stop()
        remove_cgroup_tree(cgroup_parent)
