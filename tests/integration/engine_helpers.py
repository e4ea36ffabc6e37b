"""What the engine tests share: a private teu root and runroot with a busybox image
imported through `teu import`, a CLI runner, and a cleanup that checks nothing is left.

Cleanup, also when a test fails: every container is removed with `teu rm -f`;
any conmon or container process still running from our directories is killed by
its PID; then the test asserts that no mount and no cgroup of ours is left.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
from tests.integration.proc_helpers import (
    kill_pids,
    pids_mentioning,
    wait_until,  # noqa: F401 - the engine tests import it here
)

from teu.testing import busybox

IMAGE = "busybox"


def teu_binary() -> str:
    """The fast launcher next to this interpreter (`make install`), else `python -m`."""
    candidate = Path(sys.executable).parent / "teu"
    if candidate.exists():
        return str(candidate)
    return ""


def rootfs_tar(rootfs: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(str(rootfs / name), arcname=name)
    return buf.getvalue()


class Teu:
    """`teu` with its own --root and --runroot."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.root = top / "root"
        self.runroot = top / "run"
        binary = teu_binary()
        self.base = [binary] if binary else [sys.executable, "-m", "teu.cli.main"]
        self.env = {**os.environ, "TEU_ROOT": str(self.root), "TEU_RUNROOT": str(self.runroot)}

    def cmd(self, *args: str) -> list[str]:
        return [*self.base, *args]

    def __call__(self, *args: str, check: bool = False, timeout: float = 60,
                 input: bytes | str | None = None, **kw) -> subprocess.CompletedProcess:
        """Run teu; output through files, since a detached container's conmon must not
        hold a pipe of ours open."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            if input is not None:
                kw["input"] = input.encode() if isinstance(input, str) else input
            else:
                kw.setdefault("stdin", subprocess.DEVNULL)
            p = subprocess.run(self.cmd(*args), stdout=out, stderr=err, timeout=timeout,
                               env=kw.pop("env", self.env), **kw)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read().decode(errors="replace"), \
                err.read().decode(errors="replace")
        if check and p.returncode != 0:
            raise AssertionError(f"teu {' '.join(args)} -> {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def ok(self, *args: str, **kw) -> str:
        return self(*args, check=True, **kw).stdout

    def rows(self) -> list[tuple]:
        db = self.root / "teu.db"
        if not db.exists():
            return []
        c = sqlite3.connect(db)
        try:
            return c.execute("SELECT id, name, status, pid, monitor_pid FROM containers"
                             ).fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            c.close()

    def inspect(self, ref: str) -> dict:
        import json

        return json.loads(self.ok("inspect", ref))[0]

    def pods(self) -> list[tuple]:
        db = self.root / "teu.db"
        if not db.exists():
            return []
        c = sqlite3.connect(db)
        try:
            return c.execute("SELECT id, name FROM pods").fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            c.close()

    def cleanup(self) -> None:
        if self.pods():  # a pod's infra is removed with its pod only
            self("pod", "rm", "-f", "-a", timeout=120)
        rows = self.rows()
        for cid, *_ in rows:
            self("rm", "-f", "-v", cid, timeout=60)
        for _, _, _, pid, monitor in rows:
            for p in (monitor, pid):
                if p:
                    kill_if_ours(p, str(self.top))
        kill_pids(pids_mentioning(str(self.top)))


def kill_if_ours(pid: int, text: str) -> None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except OSError:
        return
    if text in cmdline:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def mounts_under(top: Path) -> list[str]:
    prefix = str(top).rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


def container_cgroups(ids: list[str]) -> list[str]:
    found = []
    top = "/sys/fs/cgroup"
    for hierarchy in os.listdir(top):
        for cid in ids:
            path = os.path.join(top, hierarchy, "teu", cid)
            if os.path.isdir(path):
                found.append(path)
    return found


_IMAGE_TAR: list[bytes] = []


def busybox_tar(tmp_path: Path) -> bytes:
    """A busybox root filesystem as a tarball (what `teu import` takes), made once."""
    if not _IMAGE_TAR:
        rootfs = tmp_path / "busybox-rootfs"
        busybox.make_rootfs(str(rootfs))
        _IMAGE_TAR.append(rootfs_tar(rootfs))
    return _IMAGE_TAR[0]


_BUSYBOX_ROOT: list[Path] = []


def busybox_root() -> Path:
    """A teu root holding the busybox image, imported once per session (`teu import`)
    into a directory of its own that no test writes to, removed at exit."""
    if not _BUSYBOX_ROOT:
        for old in Path(tempfile.gettempdir()).glob("teu-test-busybox-*-*"):
            owner = old.name.split("-")[3]
            if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
                shutil.rmtree(old, ignore_errors=True)  # of a session that was killed
        top = Path(tempfile.mkdtemp(prefix=f"teu-test-busybox-{os.getpid()}-"))
        atexit.register(shutil.rmtree, top, True)
        tarball = top / "busybox.tar"
        tarball.write_bytes(busybox_tar(top))
        Teu(top).ok("import", str(tarball), IMAGE)
        tarball.unlink()
        _BUSYBOX_ROOT.append(top / "root")
    return _BUSYBOX_ROOT[0]


def seed(t: Teu, tmp_path: Path) -> None:
    """Give a new private teu the busybox image: a copy of busybox_root() (~15 ms; a
    `teu import` of its own is ~0.5 s of CPU, in every test). busybox.tar is written
    beside it too, for the tests that import it again somewhere else."""
    assert not t.root.exists(), f"{t.root} exists already"
    (tmp_path / "busybox.tar").write_bytes(busybox_tar(tmp_path))
    subprocess.run(["cp", "-a", str(busybox_root()), str(t.root)], check=True)


def private_teu(tmp_path: Path):  # noqa: ANN201 - a generator for a fixture
    """A private teu with the busybox image; everything it made is gone afterwards.
    Test modules wrap it: `teu = pytest.fixture(private_teu_fixture)`."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    t = Teu(tmp_path)
    seed(t, tmp_path)
    try:
        yield t
    finally:
        ids = [r[0] for r in t.rows()]
        t.cleanup()
        left_rows = t.rows()
        left_mounts = mounts_under(tmp_path)
        left_cgroups = container_cgroups(ids)
        for path in left_cgroups:
            try:
                os.rmdir(path)
            except OSError:
                pass
        assert not left_rows, f"containers left: {left_rows}"
        assert not left_mounts, f"mounts left on the host: {left_mounts}"
        assert not left_cgroups, f"cgroups left: {left_cgroups}"


def private_dockerd(tmp_path: Path):  # noqa: ANN201 - a generator for a fixture
    """Debian's dockerd 20.10 with the busybox image imported (teu.testing.dockerd), the
    reference the differential tests compare teu against; stopped afterwards.
    Test modules wrap it: `dockerd = pytest.fixture(private_dockerd_fixture)`."""
    from teu.testing.dockerd import Dockerd

    if not os.path.exists("/usr/sbin/dockerd"):
        pytest.fail("Debian's docker.io is not installed (make deps)")
    tarball = tmp_path / "busybox-docker.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    d = Dockerd(str(tarball), IMAGE)
    try:
        yield d
    finally:
        d.stop()
