"""The runtime's own processes, seen from inside the container (CVE-2019-5736,
CVE-2016-9962, CVE-2024-21626).

While `teu exec` sets a process up, a Python process of teu's sits in the
container's pid namespace. It must be non-dumpable from before it joins the
namespaces until the exec (as runc's nsexec makes itself), so that a container
process cannot open its /proc/PID/exe (the host's interpreter), environ or mem,
nor read where its fds point; and the container's processes must start with no
host file descriptor and no working directory outside the root.
"""

from __future__ import annotations

import os
import sys

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root

# Busybox sh builtins only (no fork per process looked at): for every process but
# ourselves, whatever of it a container process can reach. A process whose exe we can
# stat is one of the container's busybox programs unless it is another file; one whose
# exe we cannot stat is a non-dumpable one (the runtime's), whose environ, mem and fd
# links must stay closed too. What is reached that way is only reported if the process
# is still not one of the container's programs by name (/proc/PID/comm is always
# readable): between the two looks it may have exec'd `true` (dumpable again) and exited.
WATCHER = r"""
: > /tmp/seen
: > /tmp/hidden
ours() { c=; read c < $1/comm 2>/dev/null; case "$c" in true|sh|cat|touch|"") return 0;; esac; return 1; }
n=0
while [ ! -e /tmp/stop ]; do
  n=$((n+1))
  for p in /proc/[0-9]*; do
    [ "$p" = /proc/$$ ] && continue
    if [ -e $p/exe ]; then
      if ! [ $p/exe -ef /bin/busybox ]; then
        l=$(readlink $p/exe) && [ -n "$l" ] && echo "exe $p $l" >> /tmp/seen
      fi
      continue
    fi
    ours $p || echo $p >> /tmp/hidden
    for f in environ mem; do
      if { true < $p/$f; } 2>/dev/null && ! ours $p; then
        echo "$f $p" >> /tmp/seen
      fi
    done
    for l in $p/fd/*; do
      t=$(readlink $l 2>/dev/null) && ! ours $p && echo "fd $l $t" >> /tmp/seen
    done
  done
  echo $n > /tmp/rounds
done
echo done > /tmp/stopped
sleep 3600
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_exec_setup_is_invisible_to_the_container(teu) -> None:
    """A default-hardened container loops over /proc/[0-9]*/exe (and environ, mem, fd)
    during 100 `teu exec` calls: it never reaches the host's Python or anything of the
    runtime's processes."""
    cid = teu.ok("run", "-d", IMAGE, "sh", "-c", WATCHER).strip()
    for _ in range(100):
        p = teu("exec", cid, "true")
        assert p.returncode == 0, p.stderr
    teu.ok("exec", cid, "touch", "/tmp/stop")
    from tests.integration.proc_helpers import wait_until

    wait_until(lambda: teu("exec", cid, "cat", "/tmp/stopped").stdout == "done\n",
               what="the watcher to stop")
    rounds = int(teu.ok("exec", cid, "cat", "/tmp/rounds"))
    seen = teu.ok("exec", cid, "cat", "/tmp/seen")
    hidden = teu.ok("exec", cid, "cat", "/tmp/hidden").split()
    teu.ok("rm", "-f", cid)
    assert rounds > 100, "the watcher hardly ran"
    # It did catch the runtime's processes in the act, and could reach none of them.
    assert hidden, "the watcher never saw an exec being set up"
    host_python = os.path.realpath(sys.executable)
    assert host_python not in seen
    assert seen == "", f"the container reached the runtime's processes:\n{seen}"


def test_programs_start_with_no_host_fds(teu) -> None:
    """What the program sees at its start: its stdio and nothing else (ls's own fd 3
    is the directory it lists), foreground, detached and exec'd."""
    listing = "ls /proc/self/fd | tr '\\n' ' '"
    assert teu.ok("run", "--rm", IMAGE, "sh", "-c", listing) == "0 1 2 3 "
    cid = teu.ok("run", "-d", IMAGE, "sh", "-c", f"{listing}; sleep 60").strip()
    assert teu.ok("exec", cid, "sh", "-c", listing) == "0 1 2 3 "
    assert teu.ok("exec", "-i", cid, "sh", "-c", listing) == "0 1 2 3 "
    from tests.integration.proc_helpers import wait_until

    wait_until(lambda: teu.ok("logs", cid) != "", what="the container's output")
    assert teu.ok("logs", cid) == "0 1 2 3 "
    teu.ok("rm", "-f", cid)


def test_cwd_through_a_host_fd_is_refused(runtime, make_bundle, tmp_path) -> None:
    """CVE-2024-21626: a cwd of /proc/self/fd/N where N is a host directory (here one
    the caller passes on purpose with --preserve-fds) would start the program outside
    its root. The runtime refuses it, for exec and for the container's own process."""
    import subprocess

    secret = tmp_path / "host-dir"
    secret.mkdir()
    (secret / "host-file").write_text("x")

    def with_host_dir_as_fd_3(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sh", "-c", 'exec 3<"$0" && exec "$@"', str(secret),
                               *runtime.cmd(*args)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=30)

    b = make_bundle(["sleep", "60"])
    cid = runtime.new_id()
    runtime("run", "-d", "--bundle", str(b.path), cid, check=True)
    p = with_host_dir_as_fd_3("exec", "--preserve-fds", "1", "--cwd", "/proc/self/fd/3", cid,
                              "sh", "-c", "pwd; ls ../host-dir")
    assert "host-file" not in p.stdout, p.stdout
    # runc's exec exits 255 when the process cannot be started
    assert p.returncode == 255 and "outside the container's root" in p.stderr, p.stderr
    b2 = make_bundle(["sh", "-c", "pwd; ls ../host-dir"])
    b2.config["process"]["cwd"] = "/proc/self/fd/3"
    b2.save()
    p = with_host_dir_as_fd_3("run", "--preserve-fds", "1", "--bundle", str(b2.path),
                              runtime.new_id())
    assert "host-file" not in p.stdout, p.stdout
    assert p.returncode == 126 and "cwd" in p.stderr, p.stderr


@pytest.mark.parametrize("time_ns", [True, False], ids=["stage1", "cloned"])
def test_user_namespace_init_still_sets_its_own_proc_files(runtime, make_bundle,
                                                           time_ns) -> None:
    """A non-dumpable process's /proc/self files belong to the host's root, out of a user
    namespace's reach: oomScoreAdj and the time namespace's offsets must still apply,
    whether stage 1 makes the init (a time namespace) or the runtime clones it."""
    import subprocess

    files = "/proc/self/oom_score_adj" + (" /proc/self/timens_offsets" if time_ns else "")
    b = make_bundle(["sh", "-c", f"cat {files}; id -u"])
    linux = b.config["linux"]
    linux["namespaces"] += [{"type": "user"}] + ([{"type": "time"}] if time_ns else [])
    linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    linux["timeOffsets"] = {"monotonic": {"secs": 100}}
    b.config["process"]["oomScoreAdj"] = 100
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
    b.save()
    subprocess.run(["chown", "-R", "100000:100000", str(b.rootfs)], check=True)
    for parent in b.rootfs.parents:  # pytest's temporary directories are 0700
        if str(parent) == "/tmp":
            break
        parent.chmod(0o755)
    p = runtime("run", "--bundle", str(b.path), runtime.new_id())
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "100" and lines[-1] == "1000"
    if time_ns:
        assert lines[1].split() == ["monotonic", "100", "0"]
