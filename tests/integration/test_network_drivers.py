"""ipvlan and macvlan networks reached from another test host over their parent link, and
bandwidth limits (--ingress-bandwidth / --egress-bandwidth through the CNI bandwidth
plugin: tc on the host end of the veth), with real traffic."""

from __future__ import annotations

import re
import time

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost, host_teu, wait_for, www


@pytest.fixture
def pair():  # noqa: ANN201
    """A test host and an outside one, joined by a veth pair: p0 (the test host's end,
    the parent of the network) and p1 (the outside's, 10.71.0.200/24)."""
    host, outside = TestHost(), TestHost()
    try:
        host.run("ip", "link", "add", "p0", "type", "veth", "peer", "name", "p1", "netns",
                 outside.name)
        host.run("ip", "link", "set", "p0", "up")
        outside.run("ip", "addr", "add", "10.71.0.200/24", "dev", "p1")
        outside.run("ip", "link", "set", "p1", "up")
        yield host, outside
    finally:
        outside.remove()
        host.remove()


@pytest.fixture
def teu(tmp_path, pair):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path, pair[0])


@pytest.mark.parametrize("driver", ["ipvlan", "macvlan"])
def test_vlan_drivers_over_the_parent_link(teu, pair, tmp_path, driver: str) -> None:  # noqa: ANN001
    _, outside = pair
    opts = ["-o", "parent=p0"] + (["-o", "ipvlan_mode=l2"] if driver == "ipvlan" else [])
    probe = teu.host.run("ip", "link", "add", "link", "lo", "name", "probe0", "type", driver,
                         check=False)
    if "Unknown device type" in probe.stderr:
        # this kernel has no such driver (here: CONFIG_IPVLAN is not set): teu says so at
        # create, in one line, and makes nothing; the traffic below needs another kernel
        p = teu("network", "create", "-d", driver, *opts, "--subnet", "10.71.0.0/24", "lan")
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 1 and len(lines) == 1, p.stderr
        assert f"this kernel has no {driver} support (CONFIG_{driver.upper()} is not set): " \
            f"{driver} networks cannot attach containers here" in lines[0]
        assert "lan" not in teu.ok("network", "ls", "--format", "{{.Name}}").split()
        return
    teu.ok("network", "create", "-d", driver, *opts, "--subnet", "10.71.0.0/24", "lan")
    assert teu.ok("network", "inspect", "-f", "{{.Driver}}", "lan") == f"{driver}\n"
    site = www(tmp_path, f"over {driver}\n")
    teu.ok("run", "-d", "--name", "srv", "--network", "lan", "--ip", "10.71.0.10", "-v",
           f"{site}:/www", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www")
    pid = teu.inspect("srv")["State"]["Pid"]
    out = teu.host.run("nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-d", "link", "show",
                       "eth0").stdout
    assert re.search(rf"\b{driver}\s+mode ", out), out  # iproute2 prints "ipvlan  mode l2"
    # from the other end of the parent link: the container is on that LAN itself
    got = wait_for(lambda: outside.run("curl", "-sf", "-m", "3", "http://10.71.0.10/",
                                       check=False).stdout)
    assert got == f"over {driver}\n"
    # and from another container of the network
    p = teu("run", "--rm", "--network", "lan", IMAGE, "sh", "-c",
            "timeout 3 wget -qO- http://10.71.0.10/; exit $?")
    assert p.stdout == f"over {driver}\n", p.stderr
    # bandwidth limits need a veth's host end: refused in one line, nothing made
    p = teu("run", "--rm", "--network", "lan", "--ingress-bandwidth", "8M", IMAGE, "true")
    assert p.returncode == 125 and "bandwidth limits need a bridge network" in p.stderr
    teu.ok("rm", "-f", "srv")
    assert outside.run("curl", "-sf", "-m", "2", "http://10.71.0.10/", check=False).stdout == ""
    teu.ok("network", "rm", "lan")
    assert [n for n in teu.host.links() if n not in ("lo", "p0")] == []


def test_bandwidth_limits(teu, tmp_path) -> None:  # noqa: ANN001
    site = www(tmp_path)
    (site / "big").write_bytes(b"x" * (2 << 20))  # 16.8 Mbit
    teu.ok("run", "-d", "--name", "bw", "--ingress-bandwidth", "8M", "--egress-bandwidth",
           "8mbit", "-v", f"{site}:/www", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www")
    ip = teu.inspect("bw")["NetworkSettings"]["IPAddress"]
    links = teu.host.links()
    veths = [n for n in links if n.startswith("veth")]
    assert len(veths) == 1
    # ingress (to the container): a token bucket on the host end of the veth
    qdisc = teu.host.run("tc", "qdisc", "show", "dev", veths[0]).stdout
    assert "tbf" in qdisc and "rate 8Mbit" in qdisc, qdisc
    # egress (from it): the veth's ingress redirected to an ifb device with its own bucket
    ifbs = [n for n in links if n not in veths and n not in ("lo", "teu0", "p0")]
    assert len(ifbs) == 1, links
    qdisc = teu.host.run("tc", "qdisc", "show", "dev", ifbs[0]).stdout
    assert "tbf" in qdisc and "rate 8Mbit" in qdisc, qdisc
    # real traffic: 16.8 Mbit each way at 8 Mbit/s cannot take less than ~2 s (a lower
    # bound: a busy machine only makes it slower)
    t = time.monotonic()
    teu.host.run("curl", "-sf", "-o", "/dev/null", f"http://{ip}/big", timeout=60)
    assert time.monotonic() - t > 1.5
    server = teu.host.popen("/bin/busybox", "httpd", "-f", "-p", "10.77.0.1:8099", "-h",
                            str(site))
    try:
        t = time.monotonic()
        teu.ok("exec", "bw", "wget", "-qO", "/dev/null", "http://10.77.0.1:8099/big",
               timeout=60)
        assert time.monotonic() - t > 1.5
    finally:
        server.kill()
        server.wait()
    inspect = teu.inspect("bw")
    assert inspect["HostConfig"]["NetworkMode"] == "bridge"
    teu.ok("rm", "-f", "bw")
    assert [n for n in teu.host.links() if n not in ("lo", "teu0", "p0")] == []  # ifb too
    # bad input: one line, exit 125
    for flags, text in ((["--ingress-bandwidth", "fast"], 'invalid argument "fast"'),
                        (["--network", "none", "--egress-bandwidth", "1M"],
                         "bandwidth limits need a network of the container's own")):
        p = teu("run", "--rm", *flags, IMAGE, "true")
        assert p.returncode == 125 and text in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
