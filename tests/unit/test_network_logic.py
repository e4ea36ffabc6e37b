"""Pure logic of teu.network: -p grammar, host port allocation, the plugin's stdin
(capabilities filtered, prevResult), conflists, hosts and resolv.conf text, subnets,
the nftables scripts."""

from __future__ import annotations

import pytest

from teu.network import cni, hosts, nft, ports, subnets
from teu.network.config import Network
from teu.network.errors import NetworkError


@pytest.mark.parametrize("spec, expected", [
    ("80", {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
    ("8080:80", {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    ("127.0.0.1:8080:80/udp", {"80/udp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}),
    ("127.0.0.1::80", {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
    ("[::1]:8080:80", {"80/tcp": [{"HostIp": "::1", "HostPort": "8080"}]}),
    ("8000-8001:80-81", {"80/tcp": [{"HostIp": "", "HostPort": "8000"}],
                         "81/tcp": [{"HostIp": "", "HostPort": "8001"}]}),
    ("9000-9010:80", {"80/tcp": [{"HostIp": "", "HostPort": "9000-9010"}]}),
])
def test_publish_grammar(spec: str, expected: dict) -> None:
    assert ports.parse_publish(spec) == expected


@pytest.mark.parametrize("spec, text", [
    ("80/xyz", "invalid proto"), ("abc", "containerPort"), ("1.2.3:80:80", "IP address"),
    ("70000:80", "hostPort"), ("8000-8002:80-81", "ranges"), ("1:2:3:4", "format"),
])
def test_publish_errors(spec: str, text: str) -> None:
    with pytest.raises(NetworkError, match=text):
        ports.parse_publish(spec)


def test_allocation_names_the_holder_and_takes_free_ports(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ports, "listening_process", lambda *a: None)
    used = ports.InUse()
    used.add("tcp", 8080, "", "container web")
    with pytest.raises(NetworkError, match=r"0.0.0.0:8080 failed: port is already allocated "
                                           r"\(by container web\)"):
        ports.allocate(ports.parse_all(["8080:80"]), {}, False, used)
    # udp on the same number is another port; a range skips the taken one
    out = ports.allocate(ports.parse_all(["8080:80/udp", "8080-8081:81"]), {}, False, used)
    assert [(m["hostPort"], m["protocol"]) for m in out] == [(8080, "udp"), (8081, "tcp")]
    out = ports.allocate({}, {"53/udp": {}, "80/tcp": {}}, True, used)
    assert all(32768 <= m["hostPort"] <= 60999 for m in out) and len(out) == 2
    assert ports.to_docker(out[:1], {"53/udp": {}, "80/tcp": {}})["80/tcp"] is None


def test_plugin_stdin_gets_only_declared_capabilities() -> None:
    conflist = {"cniVersion": "1.0.0", "name": "n", "plugins": [
        {"type": "bridge", "capabilities": {"ips": True}},
        {"type": "portmap", "capabilities": {"portMappings": True}}]}
    rt = cni.RuntimeConf("c", "/proc/1/ns/net", "eth0", [("IP", "10.0.0.5")],
                         {"ips": ["10.0.0.5/24"], "portMappings": [{"hostPort": 1}]})
    import json

    first = json.loads(cni.plugin_stdin(conflist, conflist["plugins"][0], rt, None))
    assert first["runtimeConfig"] == {"ips": ["10.0.0.5/24"]} and "prevResult" not in first
    assert first["name"] == "n" and first["cniVersion"] == "1.0.0"
    second = json.loads(cni.plugin_stdin(conflist, conflist["plugins"][1], rt, {"ips": []}))
    assert second["runtimeConfig"] == {"portMappings": [{"hostPort": 1}]}
    assert second["prevResult"] == {"ips": []}
    env = cni._env("ADD", rt, ["/a", "/b"])
    assert env["CNI_ARGS"] == "IgnoreUnknown=1;IP=10.0.0.5" and env["CNI_PATH"] == "/a:/b"


def test_plugin_error_object_is_one_line() -> None:
    e = cni.plugin_failure("/usr/lib/cni/bridge", "ADD", 1,
                           b'{"code": 11, "msg": "failed to allocate", "details": "range full"}',
                           b"")
    assert str(e) == "plugin type='bridge' failed (ADD): failed to allocate: range full"
    assert e.cni_code == 11


def test_conflist_of_a_teu_network() -> None:
    net = Network("app", "f" * 64, subnet="10.78.0.0/24", gateway="10.78.0.1",
                  ip_range="10.78.0.128/25", bridge="teu-fff", internal=True, mtu=1450)
    c = net.conflist("/ipam")
    bridge = c["plugins"][0]
    assert bridge["type"] == "bridge" and bridge["bridge"] == "teu-fff" and bridge["mtu"] == 1450
    r = bridge["ipam"]["ranges"][0][0]
    assert (r["rangeStart"], r["rangeEnd"]) == ("10.78.0.129", "10.78.0.254")
    assert bridge["ipam"]["routes"] == [] and bridge["ipam"]["dataDir"] == "/ipam"
    back = Network.from_conflist(c)
    assert (back.id, back.internal, back.ip_range) == (net.id, True, "10.78.0.128/25")
    doc = back.inspect()
    assert doc["IPAM"]["Config"] == [{"Subnet": "10.78.0.0/24", "Gateway": "10.78.0.1",
                                      "IPRange": "10.78.0.128/25"}]


def test_hosts_lists_peers_only_on_resolving_networks(tmp_path) -> None:  # noqa: ANN001
    def rec(cid: str, name: str, addr: str, resolves: bool, aliases=()) -> dict:  # noqa: ANN001
        return {"containerId": cid, "networkName": "app", "result": {"ips": [
            {"address": addr + "/24", "gateway": "10.1.0.1"}]},
            "teu": {"name": name, "hostname": cid[:12], "aliases": list(aliases),
                    "resolves": resolves, "extraHosts": ["gw:host-gateway"]}}

    me = rec("a" * 64, "api", "10.1.0.2", True)
    peer = rec("b" * 64, "db", "10.1.0.3", True, ["database"])
    text = hosts.hosts_text(me["teu"], [me], {"app": [me, peer]})
    assert "10.1.0.2\taaaaaaaaaaaa api\n" in text
    assert "10.1.0.3\tdb bbbbbbbbbbbb database\n" in text and "10.1.0.1\tgw\n" in text
    me["teu"]["resolves"] = False
    assert "db" not in hosts.hosts_text(me["teu"], [me], {"app": [me, peer]})
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\nsearch lan\noptions edns0\n")
    assert hosts.resolv_text([], [], [], str(resolv)) == \
        "nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\noptions edns0\n"
    assert hosts.resolv_text(["10.0.0.2"], ["x.test"], ["ndots:2"], str(resolv)) == \
        "nameserver 10.0.0.2\nsearch x.test\noptions ndots:2\n"


def test_subnets() -> None:
    assert subnets.free_subnet("10.78.0.0/15", 24, ["10.78.0.0/24", "10.78.1.0/25"]) \
        == "10.78.2.0/24"
    with pytest.raises(NetworkError, match="Pool overlaps"):
        subnets.check_subnet("10.78.0.0/16", ["10.78.5.0/24"])
    with pytest.raises(NetworkError, match="host bits"):
        subnets.check_subnet("10.78.0.1/24", [])
    with pytest.raises(NetworkError, match="not in the network's subnet"):
        subnets.check_address("10.9.0.1", "10.78.0.0/24")


def test_nft_scripts_touch_only_teus_table() -> None:
    text = nft.network_script("teu0", "10.77.0.0/16", False) + \
        nft.ports_script([{"protocol": "tcp", "hostPort": 8080, "containerIP": "10.77.0.2",
                           "containerPort": 80, "hostIP": "127.0.0.1"}], add=False)
    for line in filter(None, text.splitlines()):
        assert " ip teu " in line or line.startswith("add table ip teu"), line
    assert "flush ruleset" not in text and "delete table" not in text
    assert 'ip saddr 10.77.0.0/16 oifname != "teu0" masquerade' in text
    assert "delete element ip teu ports_addr { 127.0.0.1 . tcp . 8080 : 10.77.0.2 . 80 }" \
        in text


def test_nft_ipv6_ports_and_nat66_stay_in_teus_ip6_table() -> None:
    m = {"protocol": "tcp", "hostPort": 8080, "containerIP": "10.78.0.2",
         "containerIP6": "fd77::2", "containerPort": 80, "hostIP": ""}
    text = nft.network_script("teu-x", "10.78.0.0/24", False, "fd77::/64") + \
        nft.ports_script([m], add=True)
    for line in filter(None, text.splitlines()):
        assert " ip teu " in line or " ip6 teu " in line or \
            line.startswith(("add table ip teu", "add table ip6 teu")), line
    assert 'add rule ip6 teu net-teu-x-nat ip6 saddr fd77::/64 oifname != "teu-x" masquerade' \
        in text
    assert "127.0.0.0/8" not in text.split("add table ip6 teu")[1].split("add table")[0]
    assert "add element ip teu ports_any { tcp . 8080 : 10.78.0.2 . 80 }" in text
    assert "add element ip6 teu ports_any { tcp . 8080 : fd77::2 . 80 }" in text
    # the host address says the family: 0.0.0.0 IPv4 only, :: IPv6 only, an address its own
    assert [f for f, _, _ in nft.elements(dict(m, hostIP="0.0.0.0"))] == ["ip"]
    assert nft.elements(dict(m, hostIP="::")) == [("ip6", "ports_any",
                                                   "tcp . 8080 : fd77::2 . 80")]
    assert nft.elements(dict(m, hostIP="fd00::5")) == [
        ("ip6", "ports_addr", "fd00::5 . tcp . 8080 : fd77::2 . 80")]
    assert nft.elements(dict(m, containerIP6="")) == [("ip", "ports_any",
                                                       "tcp . 8080 : 10.78.0.2 . 80")]
    # an IPv4-only network never makes the ip6 table
    assert "ip6" not in nft.network_script("teu0", "10.77.0.0/16", False) + \
        nft.ports_script([dict(m, containerIP6="")], add=False)
    removal = nft.remove_network_script("teu-x", ipv6=True)
    assert "delete chain ip6 teu net-teu-x-nat" in removal
    assert "ip6" not in nft.remove_network_script("teu-x")


def test_ports_to_docker_lists_ipv6_bindings() -> None:
    m = {"protocol": "tcp", "hostPort": 8080, "containerPort": 80, "hostIP": "",
         "containerIP": "10.78.0.2", "containerIP6": "fd77::2"}
    assert ports.to_docker([m]) == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                               {"HostIp": "::", "HostPort": "8080"}]}
    assert ports.to_docker([dict(m, hostIP="::")]) == {
        "80/tcp": [{"HostIp": "::", "HostPort": "8080"}]}
    assert ports.to_docker([dict(m, containerIP6="")]) == {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}


def test_bandwidth_rates_and_runtime_config() -> None:
    from teu.engine.config import network_opts
    from teu.engine.errors import InvalidArgument

    assert network_opts.rate("10M", "--x") == 10_000_000
    assert network_opts.rate("1.5g", "--x") == 1_500_000_000
    assert network_opts.rate("8mbit", "--x") == 8_000_000
    assert network_opts.rate("500k", "--x") == 500_000
    for bad in ("fast", "", "-1M", "10", "nan", "40T"):
        with pytest.raises(InvalidArgument, match="a rate in bits per second"):
            network_opts.rate(bad, "--ingress-bandwidth")
    assert network_opts.bandwidth({}, "bridge") == {}
    assert network_opts.bandwidth({"ingress_bandwidth": "80M"}, "app") == {
        "ingressRate": 80_000_000, "ingressBurst": 8_000_000}
    assert network_opts.bandwidth({"egress_bandwidth": "1M"}, "bridge") == {
        "egressRate": 1_000_000, "egressBurst": 64 * 1024 * 8}
    with pytest.raises(InvalidArgument, match="need a network of the container's own"):
        network_opts.bandwidth({"egress_bandwidth": "1M"}, "host")
    net = Network("app", "0" * 64, subnet="10.78.0.0/24", bridge="teu-app")
    assert [p["type"] for p in net.conflist()["plugins"]] == ["bridge"]
    plugins = net.with_bandwidth().conflist()["plugins"]
    assert [p["type"] for p in plugins] == ["bridge", "bandwidth"]
    assert plugins[1]["capabilities"] == {"bandwidth": True}
