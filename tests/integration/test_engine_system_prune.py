"""`teu system prune` and `teu network prune` as docker 20.10's, run in a test host (a
network namespace the test makes): system prune removes stopped containers, then "all
networks not used by at least one container" (user-defined ones only: never bridge,
host or none), then volumes and images, with docker's prompt, -f, --filter and output
sections; network prune's sweep of half-built bridges touches only its own root's."""

from __future__ import annotations

import os
import subprocess

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


# docker 20.10's confirmation (cli/command/system/prune.go), then its [y/N] prompt
WARNING = """WARNING! This will remove:
  - all stopped containers
  - all networks not used by at least one container
  - all dangling images
  - all dangling build cache

Are you sure you want to continue? [y/N] """


def _networks(teu) -> list[str]:  # noqa: ANN001
    return sorted(teu.ok("network", "ls", "--format", "{{.Name}}").split())


def test_system_prune_removes_unused_networks_as_docker(teu) -> None:
    teu.ok("network", "create", "inuse")
    teu.ok("network", "create", "--label", "keep=1", "kept")
    teu.ok("network", "create", "spare")
    teu.ok("run", "-d", "--name", "user", "--network", "inuse", IMAGE, "sleep", "60")
    stopped = teu.ok("create", "--name", "stopped", IMAGE, "true").strip()
    before = _networks(teu)
    assert {"bridge", "inuse", "kept", "spare"} <= set(before), before
    # no -f: docker's warning; anything but y keeps everything
    p = teu("system", "prune", input="n\n")
    assert p.returncode == 0 and p.stdout == WARNING, p.stdout
    assert _networks(teu) == before
    # the filters apply to every kind; the networks have their own section
    out = teu.ok("system", "prune", "-f", "--filter", "label!=keep")
    assert f"Deleted Containers:\n{stopped}\n\n" in out, out
    assert "Deleted Networks:\nspare\n\n" in out, out
    assert out.index("Deleted Containers:") < out.index("Deleted Networks:")
    assert out.rstrip().splitlines()[-1].startswith("Total reclaimed space: ")
    assert "kept" in _networks(teu) and "spare" not in _networks(teu)
    p = teu("system", "prune", "--filter", "label=keep=1", input="y\n")
    assert p.returncode == 0, p.stderr
    assert "Items to be pruned will be filtered with:\n  - label=keep=1\n" in p.stdout
    assert "Deleted Networks:\nkept\n" in p.stdout, p.stdout
    # a network a container uses stays, and so do docker's predefined ones
    after = _networks(teu)
    assert "inuse" in after and "bridge" in after and "kept" not in after, after
    assert [n for n in before if n not in ("kept", "spare")] == after
    p = teu("system", "prune", "-f", "--volumes", "--filter", "until=1h")
    assert p.returncode == 1 and p.stderr.strip() == \
        'ERROR: The "until" filter is not supported with "--volumes"', p.stderr
    teu.ok("rm", "-f", "user")
    # until: only what was made before it goes (docker's network prune filter)
    assert teu.ok("network", "prune", "-f", "--filter", "until=1h") == ""
    assert "Deleted Networks:\ninuse\n" in teu.ok("system", "prune", "-f")
    assert "inuse" not in _networks(teu)


def _building(root, name: str, pid: int, started: str, netns: str) -> None:  # noqa: ANN001
    """What a teu of that root notes before it makes its temporary bridge."""
    d = root / "networks" / "building"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(f"{pid} {started} {netns}")


def test_network_prune_sweeps_only_its_own_half_built_bridges(teu, tmp_path) -> None:
    """A teu killed while it built a network's bridge leaves it under its temporary name:
    this root's prune removes it, and never one that a live teu is building, another
    root's, or one of the same look that anything else made."""
    from teu.runtime.state import process_start_time

    host = teu.host
    netns = str(os.stat(host.path).st_ino)  # the namespace's inode, as seen inside it
    gone = subprocess.Popen(["true"])
    gone.wait()
    me = os.getpid()
    other_root = tmp_path / "other-root"
    bridges = {"teutmpdead00001": (teu.root, gone.pid, "1"),
               "teutmplive00002": (teu.root, me, str(process_start_time(me))),
               "teutmpother0003": (other_root, gone.pid, "1"),
               "teutmp12345": (None, 0, "")}  # an older teu's name, or anyone's
    for name, (root, pid, started) in bridges.items():
        host.run("ip", "link", "add", name, "type", "bridge")
        if root is not None:
            _building(root, name, pid, started, netns)
    teu.ok("network", "prune", "-f")
    left = {n for n in host.links() if n.startswith("teutmp")}
    assert left == set(bridges) - {"teutmpdead00001"}, left
    assert sorted(os.listdir(teu.root / "networks" / "building")) == ["teutmplive00002"]
    assert (other_root / "networks" / "building" / "teutmpother0003").exists()


# docker's words for each kind's prune (cli/command/{container,network,volume}/prune.go;
# volume's as docker 23+, whose anonymous-only rule teu follows)
KIND_WARNINGS = {
    "container": "WARNING! This will remove all stopped containers.\n",
    "network": "WARNING! This will remove all custom networks not used by at least one "
               "container.\n",
    "volume": "WARNING! This will remove anonymous local volumes not used by at least one "
              "container.\n",
}


def test_each_prune_asks_first_as_docker(teu) -> None:
    stopped = teu.ok("create", IMAGE, "true").strip()
    teu.ok("network", "create", "idle")
    anon = teu.ok("volume", "create").strip()  # no name: anonymous
    for kind, warning in KIND_WARNINGS.items():
        p = teu(kind, "prune", input="n\n")
        assert p.returncode == 0, p.stderr
        assert p.stdout == warning + "Are you sure you want to continue? [y/N] ", p.stdout
    assert stopped in teu.ok("ps", "-aq", "--no-trunc")
    assert "idle" in _networks(teu)
    assert anon in teu.ok("volume", "ls", "-q")
    # a closed stdin says no too; y goes on
    assert teu("container", "prune", input="").stdout.endswith("[y/N] ")
    assert stopped in teu.ok("ps", "-aq", "--no-trunc")
    for kind, gone in (("container", stopped), ("network", "idle"), ("volume", anon)):
        p = teu(kind, "prune", input="y\n")
        assert p.returncode == 0 and gone in p.stdout, (kind, p.stdout, p.stderr)
