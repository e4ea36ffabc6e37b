"""The socket-level redirect of published ports (teu.network.socklb) with real traffic in
a test host: a client in the test's own cgroup v2 connects straight to the container
(its socket's local address is the bridge's, no NAT), getpeername still says the address
it asked for; a client outside that cgroup, or in the cgroup but another network
namespace, is untouched; `teu port --explain` shows the hop; kill -9 and rm -f leave no
map element, program or attachment; a cgroup that cannot be used falls back to the DNAT
and says why. The programs are attached only to a cgroup this test makes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost, host_teu, wait_for, www

from teu.network import bpf, socklb

CLIENT = """
import json, socket, sys
out = []
for host, port in json.loads(sys.argv[1]):
    try:
        s = socket.create_connection((host, port), timeout=float(sys.argv[2]))
    except OSError as e:
        out.append({"error": e.errno})
        continue
    s.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
    body = b""
    while chunk := s.recv(65536):
        body += chunk
    out.append({"peer": list(s.getpeername()), "local": s.getsockname()[0],
                "body": body.decode().rsplit("\\r\\n", 1)[-1]})
    s.close()
print(json.dumps(out))
"""


UDP_ECHO = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    data, peer = s.recvfrom(512)
    s.sendto(data, peer)
"""
UDP_CLIENT = """
import json, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("127.0.0.1", 5353))
s.send(b"ping")
print(json.dumps({"peer": list(s.getpeername()), "local": s.getsockname()[0],
                  "reply": s.recv(512).decode()}))
"""
UDP_SENDTO = """
import json, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"ping", ("127.0.0.1", 5353))
data, source = s.recvfrom(512)
print(json.dumps({"source": list(source), "reply": data.decode()}))
"""


def cgroup2_mount() -> str | None:
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, where, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return where
    return None


@pytest.fixture
def cgroup():  # noqa: ANN201
    top = cgroup2_mount()
    if top is None:
        pytest.skip("no cgroup2 mount")
    path = os.path.join(top, f"teutest-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    try:
        yield path
    finally:
        os.rmdir(path)  # the kernel drops whatever is still attached to it


@pytest.fixture
def teu(tmp_path, cgroup):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def connect(host: TestHost, targets: list[tuple[str, int]], cgroup: str | None = None,
            timeout: float = 2) -> list[dict]:
    join = f'echo $$ > {cgroup}/cgroup.procs; ' if cgroup else ""
    p = subprocess.run(["sh", "-c", join + 'exec "$@"', "sh", *host.prefix(),
                        sys.executable, "-c", CLIENT, json.dumps(targets), str(timeout)],
                       capture_output=True, text=True, timeout=30, check=True)
    return json.loads(p.stdout)


def run_in(host: TestHost, code: str, cgroup: str | None = None) -> dict:
    """A Python client in the test host (and the cgroup): its JSON output, or {}."""
    join = f'echo $$ > {cgroup}/cgroup.procs; ' if cgroup else ""
    p = subprocess.run(["sh", "-c", join + 'exec "$@"', "sh", *host.prefix(),
                        sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def veths_gone(host: TestHost) -> bool:
    """The kernel removes a veth whose namespace went away asynchronously (cleanup_net):
    wait for it rather than race the fixture's check."""
    return wait_for(lambda: not [n for n in host.links() if n.startswith("veth")])


def attached(cgroup: str) -> dict[str, list[int]]:
    fd = os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return {name: bpf.prog_query(fd, kind) for name, kind in socklb.PROGRAMS}
    finally:
        os.close(fd)


def exists(get_fd, obj_id: int) -> bool:  # noqa: ANN001
    try:
        os.close(get_fd(obj_id))
    except bpf.BPFError:
        return False
    return True


def test_connect_goes_straight_to_the_container(teu, tmp_path, cgroup) -> None:  # noqa: ANN001
    site = www(tmp_path)
    teu.env[socklb.ENV] = cgroup
    for name, ports in (("web", ["8080:80"]),
                        ("web2", ["127.0.0.1:8081:80", "5353:5353/udp"])):
        teu.ok("run", "-d", "--name", name, "-v", f"{site}:/www",
               *[x for p in ports for x in ("-p", p)], IMAGE, "httpd", "-f", "-p", "80",
               "-h", "/www")
    gateway = teu.inspect("web")["NetworkSettings"]["Gateway"]
    progs = attached(cgroup)
    assert all(len(ids) == 1 for ids in progs.values()), progs
    fd = bpf.prog_fd_by_id(progs[socklb.CONNECT][0])
    map_ids = bpf.prog_info(fd)[1]
    os.close(fd)
    targets = [("127.0.0.1", 8080), ("127.0.0.2", 8080), ("127.0.0.1", 8081),
               ("127.0.0.2", 8081)]
    inside = connect(teu.host, targets, cgroup)
    # redirected: the socket is the bridge's (no NAT), its peer the address it asked for
    for got, (addr, port) in zip(inside[:3], targets, strict=False):
        assert got == {"peer": [addr, port], "local": gateway, "body": "hello from httpd\n"}
    assert inside[3] == {"error": 111}  # 127.0.0.1:8081 is bound to 127.0.0.1 only
    # outside the cgroup: the kernel's DNAT, as without the redirect
    outside = connect(teu.host, targets[:1])
    assert outside == [{"peer": ["127.0.0.1", 8080], "local": "127.0.0.1",
                        "body": "hello from httpd\n"}]
    # in the cgroup but in another network namespace: untouched (nothing listens there)
    other = TestHost()
    try:
        assert connect(other, targets[:1], cgroup) == [{"error": 111}]
    finally:
        other.remove()
    # UDP: a connect()ed socket is redirected too (an echo server in web2's namespace)
    echo = subprocess.Popen(["nsenter", f"--net=/proc/{teu.inspect('web2')['State']['Pid']}"
                             "/ns/net", sys.executable, "-c", UDP_ECHO])
    try:
        def udp(code: str = UDP_CLIENT, join: bool = True) -> dict:
            return run_in(teu.host, code, cgroup if join else None)
        assert wait_for(udp) == {"peer": ["127.0.0.1", 5353], "local": gateway,
                                 "reply": "ping"}
        # sendto() without connect(), with the DNAT element gone: only the redirect can
        # deliver it, and the answer's source is the address it was sent to
        ip2 = teu.inspect("web2")["NetworkSettings"]["IPAddress"]
        teu.host.run("nft", "delete", "element", "ip", "teu", "ports_any",
                     f"{{ udp . 5353 : {ip2} . 5353 }}")
        assert udp(UDP_SENDTO) == {"source": ["127.0.0.1", 5353], "reply": "ping"}
        assert udp(UDP_SENDTO, join=False) == {}  # outside the cgroup: nothing answers
    finally:
        echo.kill()
        echo.wait()
    p = teu("port", "--explain", "web2")
    assert "UDP: sendto() too" in p.stdout, p.stdout
    p = teu("port", "--explain", "web")
    assert p.returncode == 0, p.stdout
    assert "socket     ok    connect() from processes of cgroup" in p.stdout
    assert "goes straight to the container: 127.0.0.0/8:8080 -> 10.77." in p.stdout
    assert "dnat       ok" in p.stdout
    # the container's init killed: its element goes, the other port is still redirected
    os.kill(teu.inspect("web")["State"]["Pid"], signal.SIGKILL)
    assert wait_for(lambda: len(teu.records()) == 1)
    assert attached(cgroup) == progs
    assert connect(teu.host, targets[2:3], cgroup)[0]["local"] == gateway
    teu.ok("rm", "-f", "web", "web2")
    assert all(not ids for ids in attached(cgroup).values())
    # detached and closed: the kernel frees the programs and their maps
    prog_ids = [i for ids in progs.values() for i in ids]
    assert wait_for(lambda: not any(exists(bpf.prog_fd_by_id, i) for i in prog_ids)
                    and not any(exists(bpf.map_fd_by_id, i) for i in map_ids))
    assert veths_gone(teu.host)


def test_unusable_cgroup_falls_back_to_dnat(teu, tmp_path) -> None:  # noqa: ANN001
    teu.env[socklb.ENV] = str(tmp_path)  # not a cgroup
    teu.ok("run", "-d", "--name", "web", "-v", f"{www(tmp_path)}:/www", "-p", "8080:80",
           IMAGE, "httpd", "-f", "-p", "80", "-h", "/www")
    p = teu("port", "--explain", "web")
    assert p.returncode == 0, p.stdout
    assert f"socket     ok    not used ({socklb.ENV}={tmp_path} is not a cgroup " \
        "directory): every client takes the hops below" in p.stdout
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3", "http://127.0.0.1:8080/",
                                         check=False).stdout == "hello from httpd\n")
    teu.ok("rm", "-f", "web")
    assert veths_gone(teu.host)


def test_ipv6_loopback_reaches_the_container(teu, tmp_path, cgroup) -> None:  # noqa: ANN001
    """[::1]:PORT, which the kernel's DNAT cannot serve (no IPv6 route_localnet), works for
    redirected clients: connect6 sends it to the container's IPv6 address."""
    teu.env[socklb.ENV] = cgroup
    teu.ok("network", "create", "--ipv6", "--subnet", "10.78.0.0/24", "--subnet",
           "fd01:78::/64", "v6")
    try:
        teu.ok("run", "-d", "--name", "web6", "--network", "v6", "-v",
               f"{www(tmp_path)}:/www", "-p", "8080:80", "-p", "5353:5353/udp", IMAGE,
               "httpd", "-f", "-p", "80", "-h", "/www")
        net = teu.inspect("web6")["NetworkSettings"]["Networks"]["v6"]
        # the first answer waits for the new addresses' duplicate address detection; while
        # the bridge's fd01:78::1 is still tentative the kernel picks its fe80:: address as
        # the source (seen once in CI), so wait for the global one to be chosen
        assert wait_for(lambda: connect(teu.host, [("::1", 8080)], cgroup, 0.3)[0].get(
            "local") == net["IPv6Gateway"])
        inside = connect(teu.host, [("::1", 8080), ("127.0.0.1", 8080)], cgroup)
        assert inside[0] == {"peer": ["::1", 8080, 0, 0], "local": net["IPv6Gateway"],
                             "body": "hello from httpd\n"}, inside
        assert inside[1]["local"] == net["Gateway"]
        # outside the cgroup [::1] is the loopback fast path's (no DNAT can serve it)
        assert connect(teu.host, [("::1", 8080)])[0] == {
            "peer": ["::1", 8080, 0, 0], "local": "::1", "body": "hello from httpd\n"}
        # UDP sendto() to [::1] (which no DNAT serves): sendmsg6 and recvmsg6
        pid = teu.inspect("web6")["State"]["Pid"]
        echo = subprocess.Popen(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c",
                                 UDP_ECHO.replace("AF_INET,", "AF_INET6,")
                                 .replace('"0.0.0.0"', '"::"')])
        try:
            code = UDP_SENDTO.replace("AF_INET,", "AF_INET6,").replace('"127.0.0.1"',
                                                                     '"::1"')
            assert wait_for(lambda: run_in(teu.host, code, cgroup)) == \
                {"source": ["::1", 5353, 0, 0], "reply": "ping"}
        finally:
            echo.kill()
            echo.wait()
        p = teu("port", "--explain", "web6")
        assert "[::1]:8080 -> [fd01:78::" in p.stdout, p.stdout
        assert "[::1] for the redirected clients of the socket hop only" in p.stdout
        teu.ok("rm", "-f", "web6")
        assert all(not ids for ids in attached(cgroup).values())
        assert veths_gone(teu.host)
    finally:
        teu("rm", "-f", "web6")
        teu.ok("network", "rm", "v6")
