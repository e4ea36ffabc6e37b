"""User-defined networks in a test host: names (container name, short ID, aliases;
containers started later, restarted, connected and disconnected), resolv.conf and
--add-host, --ip/--mac-address, isolation between networks, --internal and icc=false,
a user's own CNI conflist (bridge + portmap) used by name."""

from __future__ import annotations

import json

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu, wait_for, www


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def get(teu, url: str, *flags: str) -> str:  # noqa: ANN001
    """What a new container on `flags`' network fetches from url ('' if it cannot)."""
    # not `timeout` as the container's PID 1: busybox's kills its parent, which PID 1 ignores
    p = teu("run", "--rm", *flags, IMAGE, "sh", "-c", f"timeout 3 wget -qO- {url}; exit $?")
    return p.stdout if p.returncode == 0 else ""


def test_names_on_user_networks(teu, tmp_path) -> None:  # noqa: ANN001
    site = www(tmp_path)
    teu.ok("network", "create", "app")
    teu.ok("network", "create", "other")
    db = teu.ok("run", "-d", "--name", "db", "--network", "app", "--network-alias", "database",
                "-v", f"{site}:/www", IMAGE, "httpd", "-f", "-p", "80", "-h", "/www").strip()
    hello = "hello from httpd\n"
    for name in ("db", "database", db[:12]):
        assert get(teu, f"http://{name}/", "--network", "app") == hello, name
    # A container started before another sees the later one too (its hosts file is kept).
    teu.ok("run", "-d", "--name", "api", "--network", "app", IMAGE, "sleep", "60")
    teu.ok("run", "-d", "--name", "late", "--network", "app", "-v", f"{site}:/www", IMAGE,
           "httpd", "-f", "-p", "80", "-h", "/www")
    assert teu.ok("exec", "api", "wget", "-qO-", "http://late/") == hello
    # A restarted container is still found by name.
    teu.ok("restart", "-t", "1", "db")
    assert wait_for(lambda: teu("exec", "api", "timeout", "3", "wget", "-qO-",
                                "http://db/").stdout == hello)
    # Another network: neither names nor addresses of `app` are reachable from it.
    ip = teu.inspect("db")["NetworkSettings"]["Networks"]["app"]["IPAddress"]
    assert get(teu, f"http://{ip}/", "--network", "other") == ""
    assert get(teu, "http://db/", "--network", "other") == ""
    # connect: api joins `other` under an alias; disconnect: it is gone from there.
    teu.ok("network", "connect", "--alias", "backend", "other", "late")
    assert get(teu, "http://backend/", "--network", "other") == hello
    inspect = json.loads(teu.ok("network", "inspect", "other"))[0]
    assert [c["Name"] for c in inspect["Containers"].values()] == ["late"]
    assert inspect["Driver"] == "bridge" and inspect["IPAM"]["Config"][0]["Subnet"]
    teu.ok("network", "disconnect", "other", "late")
    assert get(teu, "http://backend/", "--network", "other") == ""
    assert teu.ok("exec", "api", "wget", "-qO-", "http://late/") == hello
    ls = teu.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}").split("\n")
    assert {"app bridge", "other bridge", "bridge bridge", "host host", "none null"} <= set(ls)
    assert teu.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}}", "none") == "none null\n"
    teu.ok("rm", "-f", "db", "api", "late")
    assert sorted(teu.ok("network", "prune", "-f").split()) == ["Deleted", "Networks:", "app",
                                                                 "other"]


def test_addresses_dns_internal_and_icc(teu) -> None:  # noqa: ANN001
    teu.ok("network", "create", "--subnet", "10.66.0.0/24", "fixed")
    out = teu.ok("run", "--rm", "--network", "fixed", "--ip", "10.66.0.50", "--mac-address",
                 "92:d0:c6:0a:29:33", "--hostname", "box", "--dns", "10.66.0.99",
                 "--dns-search", "example.test", "--add-host", "db.local:10.1.2.3",
                 "--add-host", "gw:host-gateway", IMAGE, "sh", "-c",
                 "ip addr show eth0; cat /etc/resolv.conf /etc/hosts; hostname")
    assert "inet 10.66.0.50/24" in out and "92:d0:c6:0a:29:33" in out
    assert "nameserver 10.66.0.99\nsearch example.test\n" in out
    assert "10.1.2.3\tdb.local" in out and "10.66.0.1\tgw" in out and out.endswith("box\n")
    # teu.api sees the same network (read-only here: this process is not in the test host)
    from teu.api import Client

    api = Client(str(teu.root), str(teu.runroot)).networks.get("fixed").attrs
    assert api["IPAM"]["Config"][0]["Subnet"] == "10.66.0.0/24" and api["Driver"] == "bridge"
    # Dual stack: an IPv4 and an IPv6 subnet, an address asked for in each.
    teu.ok("network", "create", "--ipv6", "--subnet", "10.67.0.0/24", "--subnet", "fd99::/64",
           "dual")
    out = teu.ok("run", "--rm", "--network", "dual", "--ip", "10.67.0.50", "--ip6", "fd99::50",
                 IMAGE, "ip", "addr", "show", "eth0")
    assert "inet 10.67.0.50/24" in out and "inet6 fd99::50/64" in out
    # --internal: no route out of the network.
    teu.ok("network", "create", "--internal", "closed")
    out = teu.ok("run", "--rm", "--network", "closed", IMAGE, "ip", "route")
    assert "default" not in out
    assert get(teu, "http://10.77.0.1/", "--network", "closed") == ""
    # icc=false: containers of one network cannot talk to each other; the host still can.
    teu.ok("network", "create", "-o", "com.docker.network.bridge.enable_icc=false", "noicc")
    teu.ok("run", "-d", "--name", "srv", "--network", "noicc", IMAGE, "httpd", "-f", "-p",
           "80", "-h", "/")
    ip = teu.inspect("srv")["NetworkSettings"]["Networks"]["noicc"]["IPAddress"]
    p = teu.host.run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3",
                     f"http://{ip}/", check=False)
    assert p.stdout in ("200", "403", "404"), p
    assert get(teu, f"http://{ip}/", "--network", "noicc") == ""
    teu.ok("rm", "-f", "srv")


def test_macvlan(teu, tmp_path) -> None:  # noqa: ANN001
    # the parent: one end of a veth pair in the test host (this kernel has no dummy links)
    teu.host.run("ip", "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    for dev in ("p0", "p1"):
        teu.host.run("ip", "link", "set", dev, "up")
    teu.ok("network", "create", "-d", "macvlan", "-o", "parent=p0", "--subnet", "10.70.0.0/24",
           "mv")
    site = www(tmp_path, "over macvlan\n")
    teu.ok("run", "-d", "--name", "m1", "--network", "mv", "-v", f"{site}:/www", IMAGE,
           "httpd", "-f", "-p", "80", "-h", "/www")
    ip = teu.inspect("m1")["NetworkSettings"]["Networks"]["mv"]["IPAddress"]
    assert ip.startswith("10.70.0.")
    assert get(teu, f"http://{ip}/", "--network", "mv") == "over macvlan\n"
    teu.ok("rm", "-f", "m1")
    teu.ok("network", "rm", "mv")


def test_user_conflist_with_portmap(teu, tmp_path) -> None:  # noqa: ANN001
    conf = tmp_path / "cni"
    conf.mkdir()
    (conf / "50-mine.conflist").write_text(json.dumps({
        "cniVersion": "1.0.0", "name": "mine", "plugins": [
            {"type": "bridge", "bridge": "mine0", "isGateway": True, "ipMasq": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.55.0.0/24"}]],
                      "routes": [{"dst": "0.0.0.0/0"}],
                      "dataDir": str(teu.root / "networks" / "ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "tuning", "capabilities": {"mac": True}}]}))
    teu.env["TEU_CNI_CONFIG_DIR"] = str(conf)
    site = www(tmp_path, "via portmap\n")
    teu.ok("run", "-d", "--name", "pm", "--network", "mine", "-p", "8090:80",
           "--mac-address", "92:d0:c6:0a:29:34", "-v", f"{site}:/www", IMAGE, "httpd", "-f",
           "-p", "80", "-h", "/www")
    settings = teu.inspect("pm")["NetworkSettings"]["Networks"]["mine"]
    assert settings["IPAddress"].startswith("10.55.0.")
    assert settings["MacAddress"] == "92:d0:c6:0a:29:34"
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3",
                                         "http://10.55.0.1:8090/", check=False).stdout
                    == "via portmap\n")
    assert "mine" in teu.ok("network", "ls")
    teu.ok("rm", "-f", "pm")
    rules = teu.host.run("iptables-save", "-t", "nat").stdout
    assert "8090" not in rules
