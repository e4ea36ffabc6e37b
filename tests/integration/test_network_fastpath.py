"""The loopback fast path of published ports (teu.network.fastpath) with real traffic in a
test host: 127.0.0.1 -> 127.0.0.1:PORT reaches the container with the DNAT element gone
(only the tc programs can deliver it), the client sees the address it asked for and the
container sees SNAT_ADDR(PORT); [::1]:PORT (which no DNAT can serve) on a dual-stack
network; other clients take the DNAT; a container cannot open a
connection to the host's loopback through the path; `teu port --explain` shows the hop;
kill -9 of an init, rm -f and a stale element of a killed setup leave no program,
element or loopback setting; TEU_PORT_FASTPATH=0 leaves the DNAT alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost, host_teu, wait_for, www

from teu.network import fastpath
from teu.network import fastpath_programs as progs

CLIENT = """
import json, socket, subprocess, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
seen = subprocess.run(sys.argv[2:], capture_output=True, text=True).stdout
s.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
body = b""
while chunk := s.recv(65536):
    body += chunk
print(json.dumps({"peer": list(s.getpeername()), "port": s.getsockname()[1],
                  "body": body.decode().rsplit("\\r\\n", 1)[-1], "seen": seen}))
"""

# what the loopback of the test host holds: the programs on its tc egress, its settings
LOOPBACK = """
import json
from teu.network import bpf, fastpath
names = []
for i in bpf.prog_query(1, bpf.TCX_EGRESS):
    fd = bpf.prog_fd_by_id(i)
    names.append(bpf.prog_info(fd)[0])
print(json.dumps({"egress": names, "sysctls": [fastpath._sysctl(n) for n in
                                               fastpath.SYSCTLS]}))
"""

# a segment sent from the container's address and published port to SNAT_ADDR(8080):2222,
# and a sniffer on the test host's loopback for anything to port 2222
FORGE = """
import socket, struct, sys
src, dst, flags = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(data):
    data += b"\\0" * (len(data) % 2)
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
tcp = struct.pack("!HHIIBBHHH", 80, 2222, 1, 1, 5 << 4, flags, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(tcp, (dst, 0))
"""
SNIFF = """
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("lo", 0))
s.settimeout(0.2)
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        frame = s.recv(65536)
    except TimeoutError:
        continue
    ip = frame[14:]
    if ip[9] == 6 and struct.unpack("!H", ip[22:24])[0] == 2222:
        print(socket.inet_ntoa(ip[12:16]), struct.unpack("!H", ip[20:22])[0], ip[33])
        break
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def httpd(teu, tmp_path, name: str, *flags: str) -> None:  # noqa: ANN001
    teu.ok("run", "-d", "--name", name, "-v", f"{www(tmp_path)}:/www", *flags, IMAGE,
           "httpd", "-f", "-p", "80", "-h", "/www")


def python_in(host: TestHost, code: str, *args: str) -> str:
    p = subprocess.run([*host.prefix(), sys.executable, "-c", code, *args],
                       capture_output=True, text=True, timeout=30, check=True,
                       env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return p.stdout


def loopback(host: TestHost) -> dict:
    return json.loads(python_in(host, LOOPBACK))


def fetch(teu, url: str) -> str:  # noqa: ANN001
    return teu.host.run("curl", "-s", "-m", "2", url, check=False).stdout


def forged(teu, flags: int) -> str:  # noqa: ANN001
    """What the test host's loopback receives for port 2222 when the container sends a
    segment with these TCP flags from its port 80 to SNAT_ADDR(8080):2222."""
    pid = teu.inspect("web")["State"]["Pid"]
    ip = teu.inspect("web")["NetworkSettings"]["IPAddress"]
    sniff = subprocess.Popen([*teu.host.prefix(), sys.executable, "-c", SNIFF, "1.5"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert sniff.stdout.readline() == "ready\n"
        subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", FORGE,
                        ip, "198.18.31.144", str(flags)], check=True, timeout=10)
        return sniff.communicate(timeout=10)[0]
    finally:
        sniff.kill()
        sniff.wait()


def test_loopback_clients_take_the_fast_path(teu, tmp_path) -> None:  # noqa: ANN001
    httpd(teu, tmp_path, "web", "-p", "8080:80")
    httpd(teu, tmp_path, "web2", "-p", "127.0.0.1:8081:80")
    assert loopback(teu.host) == {"egress": [fastpath.LO_OUT], "sysctls": ["1", "1"]}
    ip = teu.inspect("web")["NetworkSettings"]["IPAddress"]
    gateway = teu.inspect("web")["NetworkSettings"]["Gateway"]
    assert wait_for(lambda: fetch(teu, "http://127.0.0.1:8080/") == "hello from httpd\n")
    # with the DNAT element gone only the tc programs can deliver 127.0.0.1 -> 127.0.0.1
    teu.host.run("nft", "delete", "element", "ip", "teu", "ports_any",
                 f"{{ tcp . 8080 : {ip} . 80 }}")
    pid = teu.inspect("web")["State"]["Pid"]
    got = json.loads(python_in(teu.host, CLIENT, "8080", "nsenter", f"--net=/proc/{pid}/ns/net",
                               "cat", "/proc/net/tcp", "/proc/net/tcp6"))
    assert got["peer"] == ["127.0.0.1", 8080] and got["body"] == "hello from httpd\n"
    # the container sees the client as SNAT_ADDR(8080) = 198.18.31.144, its port kept
    snat = int.from_bytes(progs.snat_address(8080), "little")  # as /proc/net/tcp* print it
    want = f"{snat:08X}:{got['port']:04X}"
    assert want in got["seen"], got["seen"]
    assert fetch(teu, f"http://{gateway}:8080/") == ""  # another local address: the DNAT's
    assert fetch(teu, "http://127.0.0.1:8081/") == "hello from httpd\n"  # bound to 127.0.0.1
    p = teu("port", "--explain", "web2")
    assert p.returncode == 0, p.stdout
    assert "fast path  ok    TCP 127.0.0.1 -> 127.0.0.1:8081 -> 10.77." in p.stdout, p.stdout
    assert "from 198.18.31.145: tc program teu_lo_out (lo egress) straight to veth" in p.stdout
    # the container cannot open a connection to the host's loopback through the path: a
    # SYN from its published port to SNAT_ADDR(8080) is dropped; any other segment is a
    # reply and is put into loopback as 127.0.0.1:8080 -> 127.0.0.1 (the sniffer works)
    assert forged(teu, 0x02) == ""
    assert forged(teu, 0x10) == "127.0.0.1 8080 16\n"
    # the init killed: its element goes, the other port still takes the path
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: len(teu.records()) == 1)
    with_web2 = loopback(teu.host)
    assert with_web2["egress"] == [fastpath.LO_OUT]
    assert fetch(teu, "http://127.0.0.1:8081/") == "hello from httpd\n"
    teu.ok("rm", "-f", "web", "web2")
    assert loopback(teu.host) == {"egress": [], "sysctls": ["0", "0"]}


def test_ipv6_loopback_takes_the_fast_path(teu, tmp_path) -> None:  # noqa: ANN001
    """[::1]:PORT, which the kernel's DNAT cannot serve (no IPv6 route_localnet), reaches
    a dual-stack network's container; 127.0.0.1 too."""
    teu.ok("network", "create", "--ipv6", "--subnet", "10.78.0.0/24", "--subnet",
           "fd01:78::/64", "v6")
    try:
        httpd(teu, tmp_path, "web6", "--network", "v6", "-p", "8082:80")
        assert wait_for(lambda: fetch(teu, "http://[::1]:8082/") == "hello from httpd\n")
        pid = teu.inspect("web6")["State"]["Pid"]
        got = json.loads(python_in(teu.host, CLIENT.replace('"127.0.0.1"', '"::1"'), "8082",
                                   "nsenter", f"--net=/proc/{pid}/ns/net", "cat",
                                   "/proc/net/tcp6"))
        assert got["peer"][:2] == ["::1", 8082] and got["body"] == "hello from httpd\n"
        # the container sees the client as SNAT6_ADDR(8082) = 2001:2::1f92, its port kept
        snat6 = progs.snat6_address(8082)
        words = "".join(f"{int.from_bytes(snat6[i:i + 4], 'little'):08X}" for i in (0, 4, 8, 12))
        assert f"{words}:{got['port']:04X}" in got["seen"], got["seen"]
        assert fetch(teu, "http://127.0.0.1:8082/") == "hello from httpd\n"
        p = teu("port", "--explain", "web6")
        assert p.returncode == 0, p.stdout
        assert "[::1] -> [::1]:8082 -> [fd01:78::" in p.stdout, p.stdout
        assert "from 2001:2::1f92" in p.stdout and "[::1] by the fast path" in p.stdout
        teu.ok("rm", "-f", "web6")
        assert loopback(teu.host) == {"egress": [], "sysctls": ["0", "0"]}
    finally:
        teu("rm", "-f", "web6")
        teu.ok("network", "rm", "v6")


def test_stale_element_of_a_killed_setup_goes(teu, tmp_path) -> None:  # noqa: ANN001
    """An element whose veth is gone (a teu killed after adding it, before its record
    named it) is removed by the next teu that tidies (network prune, the removal of a
    container with ports): then the programs and loopback's settings go too."""
    stale = """
from teu.network import bpf, fastpath, fastpath_programs as progs
with fastpath.Loopback(create=True) as lo:
    bpf.map_update(lo.ports, progs.key(9999), progs.value("10.77.0.99", 80, 999999, 9999,
                   b"\\2" * 6, b"\\2" * 6))
"""
    python_in(teu.host, stale)
    assert loopback(teu.host)["egress"] == [fastpath.LO_OUT]
    teu.ok("network", "prune", "-f")  # tidies with nothing else to do
    assert loopback(teu.host) == {"egress": [], "sysctls": ["0", "0"]}
    python_in(teu.host, stale)
    httpd(teu, tmp_path, "web", "-p", "8080:80")
    assert wait_for(lambda: fetch(teu, "http://127.0.0.1:8080/") == "hello from httpd\n")
    teu.ok("rm", "-f", "web")
    assert loopback(teu.host) == {"egress": [], "sysctls": ["0", "0"]}


def test_off_leaves_the_dnat_alone(teu, tmp_path) -> None:  # noqa: ANN001
    teu.env[fastpath.ENV] = "0"
    httpd(teu, tmp_path, "web", "-p", "8080:80")
    assert loopback(teu.host)["egress"] == []
    assert wait_for(lambda: fetch(teu, "http://127.0.0.1:8080/") == "hello from httpd\n")
    p = teu("port", "--explain", "web")
    assert f"fast path  ok    not used ({fastpath.ENV}=0)" in p.stdout, p.stdout
    teu.ok("rm", "-f", "web")
