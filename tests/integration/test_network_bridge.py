"""The default bridge network in a test host: addresses, NAT'd ports forwarded by the
kernel (127.0.0.1 and hairpin included), `teu port` and its --explain, "port is
already allocated" naming the holder, teardown after kill -9, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu, wait_for, www

LISTEN = ("import socket, time; s = socket.socket(); s.bind(('0.0.0.0', 9090)); s.listen();"
          " time.sleep(60)")


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def httpd(teu, tmp_path, name: str, *flags: str) -> str:  # noqa: ANN001
    site = www(tmp_path)
    return teu.ok("run", "-d", "--name", name, "-v", f"{site}:/www", *flags, IMAGE,
                  "httpd", "-f", "-p", "80", "-h", "/www").strip()


def fetch(teu, url: str, check: bool = True) -> subprocess.CompletedProcess:  # noqa: ANN001
    return teu.host.run("curl", "-sf", "-m", "3", url, check=check)


def test_default_bridge_published_ports_and_explain(teu, tmp_path) -> None:  # noqa: ANN001
    httpd(teu, tmp_path, "web", "-p", "8080:80")
    httpd(teu, tmp_path, "web2", "-P", "--expose", "80")
    net = teu.inspect("web")["NetworkSettings"]
    ip = net["IPAddress"]
    assert ip.startswith("10.77.") and net["Gateway"] == "10.77.0.1"
    assert net["Networks"]["bridge"]["IPAddress"] == ip and net["MacAddress"]
    assert net["Ports"] == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    assert teu.ok("port", "web") == "80/tcp -> 0.0.0.0:8080\n"
    assert "0.0.0.0:8080->80/tcp" in teu.ok("ps", "--format", "{{.Names}} {{.Ports}}")
    random_port = teu.ok("port", "web2", "80").strip().rsplit(":", 1)[1]
    assert 32768 <= int(random_port) <= 60999
    # The kernel forwards: from the host on 127.0.0.1 and on its bridge address.
    assert wait_for(lambda: fetch(teu, "http://127.0.0.1:8080/", False).returncode == 0)
    assert fetch(teu, "http://127.0.0.1:8080/").stdout == "hello from httpd\n"
    assert fetch(teu, f"http://10.77.0.1:{random_port}/").stdout == "hello from httpd\n"
    # Containers reach each other by IP; hairpin: a container to its own published port.
    other = teu.ok("run", "--rm", IMAGE, "wget", "-qO-", f"http://{ip}/")
    assert other == "hello from httpd\n"
    assert teu.ok("exec", "web", "timeout", "3", "wget", "-qO-", "http://10.77.0.1:8080/") \
        == "hello from httpd\n"
    # The default bridge resolves no names (docker's rule).
    p = teu("run", "--rm", IMAGE, "sh", "-c", "timeout 2 wget -qO- http://web/; exit $?")
    assert p.returncode != 0
    # Taken host ports: by a container, by a process of the host.
    p = teu("run", "-d", "-p", "8080:80", IMAGE, "true")
    assert p.returncode == 125
    assert "Bind for 0.0.0.0:8080 failed: port is already allocated (by container web)" \
        in p.stderr
    listener = teu.host.popen(sys.executable, "-c", LISTEN)
    try:
        wait_for(lambda: ":2382 " in teu.host.run("cat", "/proc/net/tcp").stdout)
        p = teu("run", "-d", "-p", "9090:80", IMAGE, "true")
        assert p.returncode == 125 and f"process {listener.pid}" in p.stderr, p.stderr
    finally:
        listener.kill()
        listener.wait()
    # --explain: every hop ok; then the DNAT element goes and it says so.
    p = teu("port", "--explain", "web")
    assert p.returncode == 0 and "dnat       ok" in p.stdout and "listens" in p.stdout
    assert "CHECK passed (bridge)" in p.stdout  # the CNI CHECK with the cached result
    teu.host.run("nft", "delete", "element", "ip", "teu", "ports_any",
                 f"{{ tcp . 8080 : {ip} . 80 }}")
    p = teu("port", "--explain", "web", "80")
    assert p.returncode == 1 and "MISSING: no element" in p.stdout
    teu.ok("rm", "-f", "web", "web2")
    maps = teu.host.run("nft", "-j", "list", "map", "ip", "teu", "ports_any").stdout
    assert "elem" not in json.loads(maps)["nftables"][1]["map"]


def test_teardown_after_kill_and_twenty_at_once(teu) -> None:  # noqa: ANN001
    # A foreground teu killed with -9: the next rm -f undoes its attachment.
    fg = subprocess.Popen(teu.cmd("run", "--name", "fg", IMAGE, "sleep", "30"), env=teu.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: teu.records() and
                    teu.inspect("fg")["NetworkSettings"]["IPAddress"])
    os.kill(fg.pid, signal.SIGKILL)
    fg.wait()
    teu.ok("rm", "-f", "fg")
    assert not teu.records() and not teu.leases()
    # A detached container whose init dies: conmon's cleanup detaches it.
    teu.ok("run", "-d", "--name", "short", IMAGE, "sleep", "30")
    os.kill(teu.inspect("short")["State"]["Pid"], signal.SIGKILL)
    assert wait_for(lambda: not teu.records())
    teu.ok("rm", "short")
    # 20 at once: 20 distinct addresses, nothing left after rm -f.
    procs = [subprocess.Popen(teu.cmd("run", "-d", "--name", f"c{i}", IMAGE, "sleep", "60"),
                              env=teu.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(20)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ips = {teu.inspect(f"c{i}")["NetworkSettings"]["IPAddress"] for i in range(20)}
    assert len(ips) == 20
    teu.ok("rm", "-f", *[f"c{i}" for i in range(20)], timeout=120)
    assert not teu.records() and not teu.leases()


def test_bad_input(teu, tmp_path) -> None:  # noqa: ANN001
    def fails(*args: str, text: str, env: dict | None = None) -> None:
        p = teu(*args, env=env or teu.env)
        code = 125 if args[0] == "run" else 1  # docker's: run's own failures, other verbs
        assert p.returncode == code and text in p.stderr, (args, p.returncode, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr

    fails("run", "--rm", "--network", "nosuch", IMAGE, "true", text="network nosuch not found")
    fails("run", "--rm", "-p", "80:abc", IMAGE, "true", text="invalid containerPort")
    fails("run", "--rm", "--ip", "10.77.0.9", IMAGE, "true", text="user defined networks")
    teu.ok("network", "create", "--subnet", "10.60.0.0/24", "one")
    fails("network", "create", "--subnet", "10.60.0.128/25", "two", text="Pool overlaps")
    fails("network", "create", "--subnet", "10.61.0.0/24", "one", text="already exists")
    fails("run", "--rm", "--network", "one", "--ip", "10.99.0.5", IMAGE, "true",
          text="not in the network's subnet 10.60.0.0/24")
    teu.ok("run", "-d", "--name", "holder", "--network", "one", "--ip", "10.60.0.5", IMAGE,
           "sleep", "30")
    p = teu("run", "--rm", "--network", "one", "--ip", "10.60.0.5", IMAGE, "true")
    assert p.returncode == 125 and "10.60.0.5" in p.stderr
    fails("network", "rm", "one", text="has active endpoints (holder)")
    env = {**teu.env, "TEU_CNI_PATH": str(tmp_path / "no-plugins")}
    fails("run", "--rm", IMAGE, "true", env=env, text='failed to find plugin "bridge" in path')
    conf = tmp_path / "cni"
    conf.mkdir()
    (conf / "10-broken.conflist").write_text('{"cniVersion": "1.0.0",\n "name": "x",\n oops}')
    env = {**teu.env, "TEU_CNI_CONFIG_DIR": str(conf)}
    fails("run", "--rm", "--network", "x", IMAGE, "true", env=env,
          text="10-broken.conflist: broken CNI configuration: Expecting property name "
               "enclosed in double quotes: line 3")
    assert teu.rows() == [r for r in teu.rows() if r[1] == "holder"]
    teu.ok("network", "rm", "-f", "one")
    assert "one" not in teu.ok("network", "ls", "--format", "{{.Name}}").split()
    teu.ok("rm", "-f", "holder")
