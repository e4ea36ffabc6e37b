"""IPv6 on a dual-stack network, in a test host with a second test host as the outside
world (a veth pair between them, IPv6 only): published ports over IPv6 (the ip6 table's
DNAT) from the outside, from the test host itself and from a container of the network
(hairpin); NAT66 out (the outside has no route back to the containers' subnet, so a
reply only comes back masqueraded); [::]-only ports; isolation between networks and
--internal over IPv6; teardown of the ip6 elements and chains."""

from __future__ import annotations

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost, host_teu, wait_for, www

HOST6, OUTSIDE6 = "fd00:1::1", "fd00:1::2"


@pytest.fixture
def world():  # noqa: ANN201
    host, outside = TestHost(), TestHost()
    try:
        host.run("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1", "netns",
                 outside.name)
        host.run("ip", "addr", "add", f"{HOST6}/64", "dev", "up0", "nodad")
        host.run("ip", "link", "set", "up0", "up")
        outside.run("ip", "addr", "add", f"{OUTSIDE6}/64", "dev", "up1", "nodad")
        outside.run("ip", "link", "set", "up1", "up")
        yield host, outside
    finally:
        outside.remove()
        host.remove()


@pytest.fixture
def teu(tmp_path, world):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path, world[0])


def curl6(host: TestHost, url: str) -> str:
    p = host.run("curl", "-sf", "-g", "-m", "3", url, check=False)
    return p.stdout if p.returncode == 0 else ""


def test_published_ports_and_nat66(teu, world, tmp_path) -> None:  # noqa: ANN001
    host, outside = world
    site = www(tmp_path, "over ipv6\n")
    teu.ok("network", "create", "--ipv6", "--subnet", "10.68.0.0/24", "--subnet",
           "fd68::/64", "dual")
    teu.ok("run", "-d", "--name", "web", "--network", "dual", "-p", "8080:80", "-p",
           "[::]:8081:80", "-v", f"{site}:/www", IMAGE, "httpd", "-f", "-p", "80", "-h",
           "/www")
    net = teu.inspect("web")["NetworkSettings"]["Networks"]["dual"]
    assert net["GlobalIPv6Address"].startswith("fd68::")
    ports = teu.ok("port", "web").splitlines()
    assert ports == ["80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080", "80/tcp -> [::]:8081"]
    # from the outside world to the test host's IPv6 address: prerouting DNAT, forwarded
    assert wait_for(lambda: curl6(outside, f"http://[{HOST6}]:8080/")) == "over ipv6\n"
    assert curl6(outside, f"http://[{HOST6}]:8081/") == "over ipv6\n"
    # from the test host itself (output DNAT), and over IPv4 as before
    assert curl6(host, f"http://[{HOST6}]:8080/") == "over ipv6\n"
    assert curl6(host, "http://127.0.0.1:8080/") == "over ipv6\n"
    # [::]:8081 is IPv6 only
    assert curl6(host, "http://127.0.0.1:8081/") == ""
    # hairpin: a container of the network to the published port on the gateway's address
    out = teu("run", "--rm", "--network", "dual", IMAGE, "sh", "-c",
              "timeout 3 wget -qO- 'http://[fd68::1]:8080/'; exit $?")
    assert out.stdout == "over ipv6\n", out.stderr
    explain = teu("port", "--explain", "web", "80")
    assert explain.returncode == 0, explain.stdout
    assert "table ip6 teu map ports_any { tcp . 8080 : " in explain.stdout
    assert "0.0.0.0:8080/tcp and [::]:8080/tcp (any local address, 127.0.0.1 included; " \
        "[::1] by the fast path" in explain.stdout
    assert curl6(host, "http://[::1]:8080/") == "over ipv6\n"  # teu.network.fastpath
    # NAT66 out: the outside has no route to fd68::/64, only a masqueraded reply returns
    (tmp_path / "outside").mkdir()
    outside_site = www(tmp_path / "outside", "from outside\n")
    server = outside.popen("/bin/busybox", "httpd", "-f", "-p", "[::]:80", "-h",
                           str(outside_site))
    try:
        got = wait_for(lambda: teu("run", "--rm", "--network", "dual", IMAGE, "sh", "-c",
                                   f"timeout 3 wget -qO- 'http://[{OUTSIDE6}]/'; exit $?"
                                   ).stdout, timeout=15)
        assert got == "from outside\n"
        # an --internal dual-stack network has no way out over IPv6 either
        teu.ok("network", "create", "--internal", "--ipv6", "--subnet", "10.70.0.0/24",
               "--subnet", "fd70::/64", "closed")
        p = teu("run", "--rm", "--network", "closed", IMAGE, "sh", "-c",
                f"timeout 3 wget -qO- 'http://[{OUTSIDE6}]/'; exit $?")
        assert p.returncode != 0 and p.stdout == ""
        teu.ok("network", "rm", "closed")
    finally:
        server.kill()
        server.wait()
    # isolation between networks holds over IPv6 too
    teu.ok("network", "create", "--ipv6", "--subnet", "10.69.0.0/24", "--subnet",
           "fd69::/64", "other")
    addr = net["GlobalIPv6Address"]
    out = teu("run", "--rm", "--network", "other", IMAGE, "sh", "-c",
              f"timeout 3 wget -qO- 'http://[{addr}]/'; exit $?")
    assert out.returncode != 0 and out.stdout == ""
    # teardown: the ip6 elements go with the container, the chains with the network
    teu.ok("rm", "-f", "web")
    table = host.run("nft", "list", "table", "ip6", "teu").stdout
    assert "fd68::" not in table.split("chain")[0]
    assert curl6(outside, f"http://[{HOST6}]:8080/") == ""
    teu.ok("network", "rm", "dual", "other")
    table = host.run("nft", "list", "table", "ip6", "teu").stdout
    assert "net-" not in table


def test_ipv6_port_on_an_ipv4_network_is_refused(teu) -> None:  # noqa: ANN001
    p = teu("run", "-d", "--name", "v4", "-p", "[::]:8082:80", IMAGE, "sleep", "30")
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 125 and len(lines) == 1, p.stderr
    assert "-p [::]:8082:80: network bridge has no IPv6 (teu network create --ipv6)" in lines[0]
    # refused at create already, before anything is made
    p = teu("create", "--name", "v4", "-p", "[fd00::1]:8082:80", IMAGE, "true")
    assert p.returncode == 125 and "network bridge has no IPv6" in p.stderr
    assert not teu.rows()
