"""The command lines containerd 1.6's runc shim (go-runc v1.0.0) sends, run against runc and
teu-runtime side by side: what each answers is what the shim reads.

The shim puts `--root R --log BUNDLE/log.json --log-format json` before every verb, reads
`state` and `ps` from stdout and stderr together (one buffer), parses the --log file as a
stream of JSON objects for the last "error" line (that text reaches the kubelet), and
decides from the words of an error whether a kill or delete failed at all: "container not
running" and "does not exist" mean the process or container is already gone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import runtime_binary
from tests.integration import cgroup_files

pytestmark = pytest.mark.root

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Shim:
    """One runtime driven as go-runc drives it."""

    def __init__(self, binary: str, root: Path, bundle: Path) -> None:
        self.binary, self.root, self.bundle = binary, root, bundle
        self.log = bundle / "log.json"
        self.ids: list[str] = []

    def __call__(self, *args: str, stdin: bytes = b"") -> tuple[int, str]:
        """(exit code, stdout and stderr in one buffer, as go-runc's cmdOutput reads them).
        Output goes through a file: a detached process would hold a pipe open."""
        with tempfile.TemporaryFile() as out:
            p = subprocess.run([self.binary, "--root", str(self.root), "--log", str(self.log),
                                "--log-format", "json", *args], input=stdin,
                               stdout=out, stderr=subprocess.STDOUT, timeout=30, cwd=self.bundle)
            out.seek(0)
            return p.returncode, out.read().decode()

    def create(self, cid: str) -> None:
        self.ids.append(cid)
        code, out = self("create", "--bundle", str(self.bundle), "--pid-file",
                         str(self.bundle / "init.pid"), cid)
        assert code == 0, out

    def last_error(self) -> str:
        """What containerd's getLastRuntimeError makes of the log: a JSON stream whose
        last level=error message counts; anything but JSON objects breaks it."""
        text = self.log.read_text() if self.log.exists() else ""
        decoder, pos, last = json.JSONDecoder(), 0, ""
        while pos < len(text.rstrip()):
            while text[pos].isspace():
                pos += 1
            entry, pos = decoder.raw_decode(text, pos)
            assert set(entry) == {"level", "msg", "time"}, entry
            assert RFC3339.match(entry["time"]), entry
            if entry["level"] == "error":
                last = entry["msg"].strip()
        return last

    def status(self, cid: str) -> str:
        code, out = self("state", cid)
        assert code == 0, out
        return json.loads(out)["status"]

    def cleanup(self) -> None:
        for cid in self.ids:
            self("delete", "--force", cid)


RUNTIMES = {"runc": "runc", "teu": None}


@pytest.fixture(params=sorted(RUNTIMES))
def shim(request, make_bundle, tmp_path: Path):  # noqa: ANN001, ANN201
    binary = RUNTIMES[request.param] or runtime_binary()
    if not shutil.which(binary):
        pytest.skip(f"{binary} not installed")

    def make(args: list[str]) -> Shim:
        b = make_bundle(args)
        # Under a parent the session's cleanup knows (tests/conftest.py).
        b.config["linux"]["cgroupsPath"] = f"/teutest/{uuid.uuid4().hex[:12]}"
        b.save()
        s = Shim(binary, tmp_path / f"root-{request.param}", b.path)
        made.append(s)
        return s

    made: list[Shim] = []
    yield make
    for s in made:
        s.cleanup()


def _wait(predicate, what: str, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_kill_and_delete_after_the_init_exited(shim) -> None:  # noqa: ANN001
    s = shim(["true"])
    s.create("c1")
    assert s("start", "c1")[0] == 0
    _wait(lambda: s.status("c1") == "stopped", "the init to exit")
    # The shim's stop of an init that exited meanwhile: "container not running" is read
    # as "already finished", not as a failed stop.
    code, out = s("kill", "c1", "15")
    assert code != 0 and "container not running" in out and \
        "container not running" in s.last_error(), out
    # After the exit the shim kills what may be left in the cgroup: that must succeed.
    assert s("kill", "--all", "c1", "9") == (0, "")
    # Unknown ids: "does not exist" (the shim ignores it on delete).
    code, out = s("kill", "nosuch", "9")
    assert code != 0 and "does not exist" in out
    code, out = s("delete", "nosuch")
    assert code != 0 and "does not exist" in s.last_error()
    assert s("delete", "--force", "nosuch") == (0, "")
    assert s("delete", "c1") == (0, "")
    code, out = s("state", "c1")
    assert code != 0 and "does not exist" in out


def test_verbs_on_a_running_container(shim) -> None:  # noqa: ANN001
    s = shim(["sleep", "60"])
    s.create("c2")
    init = int((s.bundle / "init.pid").read_text())
    code, out = s("state", "c2")
    state = json.loads(out)  # the whole buffer, stderr included, must be the JSON
    assert (state["id"], state["pid"], state["status"]) == ("c2", init, "created")
    assert state["bundle"] == str(s.bundle) and RFC3339.match(state["created"])
    assert s("start", "c2") == (0, "")
    assert s.status("c2") == "running"

    # exec --process FILE --detach --pid-file P: returns once the process runs.
    process = s.bundle / "process.json"
    process.write_text(json.dumps({"args": ["sleep", "30"], "cwd": "/", "env": ["PATH=/bin"],
                                   "user": {"uid": 0, "gid": 0}}))
    code, out = s("exec", "--process", str(process), "--detach", "--pid-file",
                  str(s.bundle / "exec.pid"), "c2")
    assert (code, out) == (0, "")
    execed = int((s.bundle / "exec.pid").read_text())
    code, out = s("ps", "--format", "json", "c2")
    assert code == 0 and set(json.loads(out)) == {init, execed}, out

    # update --resources - (the JSON of specs.LinuxResources on stdin).
    resources = {"memory": {"limit": 48 * 1024 * 1024}, "cpu": {"shares": 512,
                 "quota": 30000, "period": 100000}}
    assert s("update", "--resources", "-", "c2", stdin=json.dumps(resources).encode()) == (0, "")
    cgroup = json.loads((s.bundle / "config.json").read_text())["linux"]["cgroupsPath"]
    assert cgroup_files.memory_limit(cgroup) == 48 * 1024 * 1024
    assert cgroup_files.cpu_quota(cgroup) == 30000
    # ... or from a file (runc's other form).
    (s.bundle / "resources.json").write_text(json.dumps({"memory": {"limit": 40 * 1024 * 1024}}))
    assert s("update", "--resources", str(s.bundle / "resources.json"), "c2") == (0, "")
    assert cgroup_files.memory_limit(cgroup) == 40 * 1024 * 1024
    assert cgroup_files.cpu_quota(cgroup) == 30000  # what the file does not name stays

    assert s("pause", "c2") == (0, "")
    assert s.status("c2") == "paused"
    assert s("resume", "c2") == (0, "")
    assert s.status("c2") == "running"
    # SIGKILL of a paused container's init kills it (cgroup v1 only once thawed).
    assert s("pause", "c2") == (0, "")
    assert s("kill", "c2", "9") == (0, "")
    _wait(lambda: s.status("c2") == "stopped", "the paused init to die")
    _wait(lambda: not os.path.exists(f"/proc/{init}"), "the init to be reaped")
    # The exec'd sleep was in the same pid namespace: gone with its init. kill --all
    # of the stopped container still succeeds, then delete leaves nothing.
    assert s("kill", "--all", "c2", "9") == (0, "")
    assert s("delete", "c2") == (0, "")
    assert not cgroup_files.exists(cgroup)
    assert s.last_error() == ""


def test_console_socket_without_a_terminal_is_refused(shim, tmp_path: Path) -> None:  # noqa: ANN001
    """A caller that sends a console socket for a process without a terminal has a bug of
    its own: refused before anything is made (runc's check), not silently ignored."""
    s = shim(["true"])
    code, out = s("create", "--bundle", str(s.bundle), "--console-socket",
                  str(tmp_path / "none.sock"), "c3")
    assert code != 0 and "console socket" in out and "console socket" in s.last_error(), out
    code, out = s("state", "c3")
    assert code != 0 and "does not exist" in out
