"""Shared fixtures: busybox bundles made locally, and a teu-runtime driver with its own state root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from teu.testing import busybox

# Safety: teu's default network is `bridge`, which makes a bridge, veths and nftables
# rules in the network namespace teu runs in. Tests outside a test host (a namespace the
# test made) must never do that to the machine: they default to --network none. The
# networking tests run teu inside their own test hosts with TEU_NETWORK=bridge.
os.environ.setdefault("TEU_NETWORK", "none")

REPO = Path(__file__).resolve().parent.parent


def runtime_binary() -> str:
    """teu-runtime as installed next to this interpreter (not a pyenv shim: those are slow)."""
    candidate = Path(sys.executable).parent / "teu-runtime"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("teu-runtime")
    if not found:
        raise RuntimeError("teu-runtime is not installed: run `make install`")
    return found


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One busybox rootfs per session; bundles copy it."""
    path = tmp_path_factory.mktemp("busybox") / "rootfs"
    busybox.make_rootfs(str(path))
    return path


class Bundle:
    """An OCI bundle on disk whose config tests edit before running it."""

    def __init__(self, path: Path, config: dict) -> None:
        self.path = path
        self.config = config

    @property
    def rootfs(self) -> Path:
        return self.path / "rootfs"

    def save(self) -> None:
        busybox.write_config(str(self.path), self.config)


@pytest.fixture
def make_bundle(tmp_path: Path, rootfs_template: Path):
    """make_bundle(args) -> Bundle with a fresh copy of the busybox rootfs."""
    counter = iter(range(1000))

    def make(args: list[str] | None = None, terminal: bool = False) -> Bundle:
        path = tmp_path / f"bundle{next(counter)}"
        path.mkdir()
        shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
        b = Bundle(path, busybox.default_config(args or ["true"], terminal))
        b.save()
        return b

    return make


class Runtime:
    """Runs `teu-runtime --root STATE ...` and remembers the containers to clean up."""

    def __init__(self, state_root: Path) -> None:
        self.root = state_root
        self.binary = runtime_binary()
        self.ids: list[str] = []

    def new_id(self) -> str:
        cid = "t" + uuid.uuid4().hex[:12]
        self.ids.append(cid)
        return cid

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.root), *args]

    def __call__(self, *args: str, check: bool = False, timeout: float = 30,
                 **kw) -> subprocess.CompletedProcess:
        """Run teu-runtime. Output goes through files, not pipes: a detached container
        inherits them and would keep a pipe open long after teu-runtime exits."""
        import tempfile

        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            kw.setdefault("stdin", subprocess.DEVNULL)
            p = subprocess.run(self.cmd(*args), timeout=timeout, stdout=out, stderr=err, **kw)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read().decode(), err.read().decode()
        if check and p.returncode != 0:
            raise AssertionError(f"teu-runtime {' '.join(args)} -> {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def state(self, cid: str) -> dict:
        return json.loads(self("state", cid, check=True).stdout)

    def cleanup(self) -> None:
        for cid in self.ids:
            self("delete", "--force", cid)


@pytest.fixture
def runtime(tmp_path: Path):
    r = Runtime(tmp_path / "state")
    yield r
    r.cleanup()


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """Integration tests need root: say so plainly instead of failing obscurely."""
    if os.geteuid() != 0:
        for item in items:
            if "integration" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason="needs root (CI runs as root)"))


# Parents of the cgroups tests make (teu-runtime's default /teu/<id>, containerd's
# /<namespace>/<id>): removed at the end of the session if the session made them.
TEST_CGROUP_PARENTS = ("teu", "teutest")


def _cgroup_parents() -> set[str]:
    root = "/sys/fs/cgroup"
    found = set()
    if not os.path.isdir(root):
        return found
    for hierarchy in os.listdir(root):
        for name in TEST_CGROUP_PARENTS:
            path = os.path.join(root, hierarchy, name)
            if os.path.isdir(path):
                found.add(path)
    return found


@pytest.fixture(scope="session", autouse=True)
def remove_test_cgroup_parents():
    before = _cgroup_parents()
    yield
    for path in _cgroup_parents() - before:
        try:
            os.rmdir(path)  # only if empty: a leftover child means a leak worth seeing
        except OSError:
            pass
