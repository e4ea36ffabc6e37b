"""RUN's networks, as BuildKit gives them, in a test host: by default the engine's default
bridge (an address, the gateway reachable, /etc/hosts naming the sandbox), `--network=none`
(loopback only) and `--network=host` (the host's interfaces; RUN's flag needs `--allow
network.host`), as RUN flags and as `teu build --network`; nothing left afterwards, even
after a teu killed with -9 mid-RUN."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from tests.integration.net_helpers import host_teu, wait_for, www

pytestmark = pytest.mark.root

PORT = 8099


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def build(teu, ctx, *args: str, check: bool = True):  # noqa: ANN001, ANN201
    p = teu("build", "--progress", "plain", *args, str(ctx), timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"build failed ({p.returncode}):\n{p.stderr}")
    return p


def dockerfile(tmp_path, name: str, text: str):  # noqa: ANN001, ANN201
    ctx = tmp_path / name
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(text)
    return ctx


def cat(teu, image: str, path: str) -> str:  # noqa: ANN001
    return teu.ok("run", "--rm", "--network", "none", image, "cat", path)


def links(dev: str) -> list[str]:
    """Interface names in a /proc/net/dev text."""
    return sorted(line.split(":")[0].strip() for line in dev.splitlines()[2:])


def test_run_networks_default_none_and_host(teu, tmp_path) -> None:  # noqa: ANN001
    teu.host.run("ip", "link", "add", "teumark0", "type", "veth", "peer", "name", "teumark1")
    site = www(tmp_path, "from the test host\n")
    server = teu.host.popen(sys.executable, "-m", "http.server", "-d", str(site), "-b",
                            "0.0.0.0", str(PORT))
    try:
        assert wait_for(lambda: f":{PORT:04X} " in teu.host.run("cat", "/proc/net/tcp").stdout)
        ctx = dockerfile(tmp_path, "all", f"""\
FROM busybox
RUN cat /proc/net/dev > /default-links && ip -o -4 addr show eth0 > /addr \\
 && cat /etc/hosts > /hosts && hostname > /hostname \\
 && wget -qO /got http://10.77.0.1:{PORT}/index.html
RUN --network=none cat /proc/net/dev > /none-links
RUN --network=host cat /proc/net/dev > /host-links
""")
        # RUN --network=host is an entitlement, as in BuildKit.
        p = build(teu, ctx, "-t", "nets:1", check=False)
        assert p.returncode == 1
        assert "RUN --network=host needs `teu build --allow network.host`" in p.stderr
        build(teu, ctx, "-t", "nets:1", "--allow", "network.host")
        assert cat(teu, "nets:1", "/got") == "from the test host\n"
        assert links(cat(teu, "nets:1", "/default-links")) == ["eth0", "lo"]
        addr = cat(teu, "nets:1", "/addr").split()
        ip = addr[addr.index("inet") + 1].split("/")[0]
        assert ip.startswith("10.77.") and ip != "10.77.0.1"
        assert f"{ip}\tbuildkitsandbox" in cat(teu, "nets:1", "/hosts")
        assert cat(teu, "nets:1", "/hostname") == "buildkitsandbox\n"
        assert links(cat(teu, "nets:1", "/none-links")) == ["lo"]
        host_links = links(cat(teu, "nets:1", "/host-links"))
        assert "teumark0" in host_links and "teu0" in host_links
        # `teu build --network` sets the RUNs that say nothing (a new cache key each).
        ctx = dockerfile(tmp_path, "plain", "FROM busybox\nRUN cat /proc/net/dev > /links\n")
        build(teu, ctx, "-t", "plain:none", "--network", "none")
        assert links(cat(teu, "plain:none", "/links")) == ["lo"]
        p = build(teu, ctx, "-t", "plain:host", "--network", "host")
        assert "CACHED" not in p.stderr
        assert "teumark0" in links(cat(teu, "plain:host", "/links"))
        p = build(teu, ctx, "-t", "plain:bridge")
        assert "CACHED" not in p.stderr
        assert links(cat(teu, "plain:bridge", "/links")) == ["eth0", "lo"]
        assert "CACHED" in build(teu, ctx, "-t", "plain:bridge").stderr
        p = build(teu, ctx, "--network", "bridge", check=False)
        assert p.returncode == 125 and "expected default, none or host" in p.stderr
    finally:
        server.kill()
        server.wait()
    # Every RUN's attachment went with it: no record, lease or veth (the fixture checks).
    assert not teu.records() and not teu.leases()


def test_killed_build_on_the_bridge_is_swept(teu, tmp_path) -> None:  # noqa: ANN001
    ctx = dockerfile(tmp_path, "slow", "FROM busybox\nRUN sleep 30\n")
    proc = subprocess.Popen(teu.cmd("build", "-t", "slow:1", str(ctx)), env=teu.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: teu.records(), timeout=30), "no attachment was made"
        assert wait_for(lambda: any(n.startswith("veth") for n in teu.host.links()))
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert teu.records() and teu.leases()
    # The next build sweeps the dead one's container and its attachment, then works.
    quick = dockerfile(tmp_path, "quick", "FROM busybox\nRUN true\n")
    build(teu, quick, "-t", "quick:1")
    assert not teu.records() and not teu.leases()
    assert not [n for n in teu.host.links() if n.startswith("veth")]
    assert "slow:1" not in teu.ok("images")
    oneshot = teu.runroot / "oneshot"
    assert not [n for n in os.listdir(oneshot) if n.startswith("build")]


def test_network_prune_during_a_build_leaves_its_run_alone(teu, tmp_path) -> None:  # noqa: ANN001
    ctx = dockerfile(tmp_path, "held", "FROM busybox\nRUN sleep 3 && cat /proc/net/dev > "
                                       "/links\n")
    proc = subprocess.Popen(teu.cmd("build", "-q", "-t", "held:1", str(ctx)), env=teu.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: any(n.startswith("veth") for n in teu.host.links()),
                        timeout=30), "no attachment was made"
        time.sleep(0.3)  # the ADD's result recorded
        leases = teu.leases()
        # The RUN has no row in the containers table: prune must not take it for a leftover
        # (its DEL would free the address while the RUN still uses it).
        teu.ok("network", "prune", "-f")
        assert teu.records() and teu.leases() == leases and leases
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert links(cat(teu, "held:1", "/links")) == ["eth0", "lo"]
    assert not teu.records() and not teu.leases()
