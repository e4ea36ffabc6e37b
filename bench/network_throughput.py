#!/usr/bin/env python3
"""Requests per second of busybox httpd in a teu container through a published port
(-p 8080:80: for a 127.0.0.1 client teu's loopback fast path, tc programs on lo and the
veth, teu.network.fastpath; "teu -p dnat" is the same with TEU_PORT_FASTPATH=0: the
kernel's DNAT in teu's nftables table, the bridge, a veth) against the same busybox
httpd run directly in the test host, both measured with wrk from the test host on
127.0.0.1 (target: >= 0.98 of the host's rate).

Beside them, to show where a difference comes from: podman's container through its own
-p (CNI portmap: iptables DNAT, the same kernel path), the teu container on --network host
(a container's cgroup, seccomp and namespaces, but no DNAT, bridge or veth), and the
host's server in a cpu/memory/pids cgroup of its own (as a container is), a second teu
container at its own address (the bridge and veth without DNAT), and what a
user-space proxy gives: docker's own docker-proxy (Debian's docker.io), the proxy docker
puts on every published port by default, forwarding 127.0.0.1:8091 to a second teu
container (its own address: the proxy's connections must not share 4-tuples with the
masqueraded ones, whose TCP timestamps differ).

Every round runs each server once, in a shuffled order, and each server's rate is
divided by the host's rate of the same round: the ratios are medians of those per-round
ratios, which cancels most of the drift of a shared machine's load.

wrk opens at most --connections (8) at a time: busybox httpd listens with a backlog of 9,
so with more connections than that the kernel drops SYNs when the server is slow to
accept, and each dropped SYN costs the client a 1 s retransmission: a rate then measures
those stalls, not the path.

--outside adds a client in a second test host, joined by a veth pair (10.99.0.2 ->
10.99.0.1), the way a published port is used from other machines: the host's server
on 10.99.0.1 against the container through 10.99.0.1:8080 (prerouting DNAT, forward,
the bridge, the veth: no 127.0.0.1 and route_localnet on that path), and "outside
direct": the same client routed to the second container's own address (forward, bridge,
veth, no DNAT). The outside rows' ratios are to the host's server reached from outside.

"hairpin -p": wrk in a container's network namespace, to its own published port on the
bridge's address (DNAT back into the bridge, masqueraded). A container of its own: its
connections reach the server from the bridge's address like the masqueraded ones of
"teu -p", but with TCP timestamps from another base (the kernel derives them from the
original addresses), so sharing one server would make the server's TIME_WAIT sockets
reject reused 4-tuples (nstat PAWSTimewait) and each such SYN would wait 1 s for its
retransmission: that is what made "teu -p" swing 0.23-1.02 between rounds.

--latency N: N sequential requests (one connection at a time, a raw HTTP/1.0 GET from a
small Python client in the test host, every server in turn, shuffled): the 10th
percentile and the median of each server's request time. The low percentile is the
path without queueing behind other jobs, so it shows the path's own cost even on a
busy machine, where rates mostly measure the scheduler.

"teu -p socklb": a third container published the same way, with the socket-level redirect
(teu.network.socklb, TEU_SOCKET_LB_CGROUP = a cgroup v2 of the bench's own that every
client joins: one without controllers, so it changes no scheduling): the clients'
connect() to 127.0.0.1:8087 goes straight to the container's address, no per-packet NAT.
"socklb no cpu cg": the same, its server moved to the root of the cpu hierarchy by the
bench (what a container without a cpu cgroup would get; teu does not do that).
"host in ctr cpu": the host's server in the container's cpu cgroup only (CFS group
scheduling alone). "host in ctr cgroup": the host's server moved into the cgroups of the "teu -p" container
(every controller): the container's scheduling and accounting without its namespaces or
network path. "teu -p socklb / host in ctr cgroup" is then the network path's own ratio.

CPU per request (every round, load-insensitive): each server's cgroup time (cpuacct, or
cgroup v2's cpu.stat) and wrk's, divided by the requests done.

--perf also samples the kernel (perf record -a, cpu-clock) during one more run of the
host and of the container and prints the CPU time per request by kernel area
(netfilter, bridge, veth, routing, ...) for the client, the servers and ksoftirqd:
where the forwarding path's cost goes.

--diagnose adds the rows that tell the scheduler's part from the network path's (the
host's server in the container's cgroups, in its cpu cgroup alone, in a cgroup of its
own; a socklb container out of its cpu cgroup). Without them a round is half as long:
more, shorter rounds (16 of 1 s by default) alternate the rows more often under a
shared machine's drifting load.

    python3 bench/network_throughput.py [--rounds 16] [--seconds 1] [--connections 8]
                                        [--no-podman] [--perf] [--outside]
                                        [--latency 300] [--diagnose]
                                        [--rows "teu -p,teu -p socklb"]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _engine_peers import ULIMITS, Podman, Teu, busybox_tar  # noqa: E402
from _test_host import TestHost  # noqa: E402

CONTROLLERS = ("cpu", "cpuacct", "memory", "pids")
PERF_HZ = 999
DOCKER_PROXY = "/usr/sbin/docker-proxy"
# kernel symbols by area (first match wins), for --perf
AREAS = [
    ("netfilter", r"^(nf_|__nf_|nft_|__nft|ipv4_conntrack|hash_conntrack|tcp_packet|ipt_)"),
    ("bridge", r"^(br_|__br_|fdb_|nbp_)"),
    ("veth", r"^(veth_|__dev_forward|dev_forward)"),
    ("routing", r"^(fib_|__fib|ip_route|__ip_route|ip_rt_|rt_|dst_|__xfrm|xfrm|nf_xfrm)"),
    ("device", r"^(__dev_queue_xmit|dev_hard_start|netif_|__netif|process_backlog|"
               r"net_rx_action|napi_|__napi|enqueue_to_backlog|loopback_xmit|"
               r"validate_xmit|eth_type_trans|neigh|__neigh|ip_finish_output2)"),
    ("skb", r"^(skb_|__skb|kfree_skb|__kfree_skb|consume_skb|__alloc_skb|__build_skb|"
            r"pskb|__copy_skb)"),
    ("ip", r"^(ip_|__ip_|inet_|raw_)"),
    ("tcp/socket", r"^(tcp_|__tcp_|inet_csk|__inet|sk_|__sk|sock_|__sock|lock_sock|"
                   r"release_sock|csum)"),
    ("memcg", r"(memcg|mem_cgroup|obj_cgroup|__account_obj|css_)"),
    ("seccomp", r"(seccomp|bpf_prog|__bpf)"),
]
NET_AREAS = ("netfilter", "bridge", "veth", "routing", "device", "skb", "ip", "tcp/socket")


CLIENT_CGROUPS: list[str] = []  # cgroup.procs files every client joins (set in main)


def in_client_cgroups(cmd: list[str]) -> list[str]:
    if not CLIENT_CGROUPS:
        return cmd
    join = "".join(f"echo $$ > {f}; " for f in CLIENT_CGROUPS)
    return ["sh", "-c", join + 'exec "$@"', "sh", *cmd]


def wrk(host: TestHost, url: str, seconds: int, connections: int,
        perf: str | None = None) -> tuple[float, int]:
    """(requests/s, requests done)."""
    cmd = in_client_cgroups([*host.prefix, "wrk", "-t2", f"-c{connections}",
                             f"-d{seconds}s", url])
    if perf:
        cmd = ["perf", "record", "-q", "-a", "-F", str(PERF_HZ), "-o", perf, "--", *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    if not rate or not done:
        raise RuntimeError(f"wrk said: {out}")
    return float(rate.group(1)), int(done.group(1))


def cpu_by_area(perf_data: str, requests: int) -> dict[str, float]:
    """Microseconds of CPU per request by kernel area, for wrk, the servers (busybox
    httpd: `httpd` in a container, `busybox` on the host) and ksoftirqd."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,ip,sym"],
                         capture_output=True, text=True).stdout
    count: collections.Counter[str] = collections.Counter()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        comm, sym = parts[0], parts[2]
        if comm not in ("wrk", "httpd", "busybox") and not comm.startswith("ksoftirqd"):
            continue
        area = next((name for name, rx in AREAS if re.search(rx, sym)), "other")
        count[area] += 1
        count["total"] += 1
    return {k: v / PERF_HZ / requests * 1e6 for k, v in count.items()}


_CLIENT = """
import json, random, socket, sys, time
n, targets = int(sys.argv[1]), json.loads(sys.argv[2])
out = {k: [] for k in targets}
for _ in range(n):
    keys = list(targets)
    random.shuffle(keys)
    for k in keys:
        t = time.perf_counter()
        s = socket.create_connection(tuple(targets[k]))
        s.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
        while s.recv(65536):
            pass
        s.close()
        out[k].append((time.perf_counter() - t) * 1e6)
print(json.dumps(out))
"""


def request_times(urls: dict, n: int) -> dict[str, list[float]]:
    """Sorted request times (us) per server, measured from each server's client side."""
    import json

    out: dict[str, list[float]] = {}
    by_side: dict[str, tuple[TestHost, dict]] = {}
    for k, (side, url) in urls.items():
        hostport = url.split("/")[2]
        addr, _, port = hostport.rpartition(":")
        by_side.setdefault(side.name, (side, {}))[1][k] = (addr, int(port))
    for side, targets in by_side.values():
        p = subprocess.run(in_client_cgroups([*side.prefix, sys.executable, "-c", _CLIENT,
                                              str(n), json.dumps(targets)]),
                           check=True, capture_output=True, text=True)
        out.update({k: sorted(v) for k, v in json.loads(p.stdout).items()})
    return out


class ContainerSide:
    """Commands in a container's network namespace (the host's binaries: wrk, curl)."""

    def __init__(self, pid: int) -> None:
        self.name = f"container {pid}"
        self.prefix = ["nsenter", f"--net=/proc/{pid}/ns/net"]


def check_redirected(host: TestHost, port: int) -> None:
    """The clients' connects to the socklb container's port skip the NAT: their socket's
    local address is the bridge's, not 127.0.0.1 (as it is through the DNAT)."""
    code = (f"import socket; s = socket.create_connection(('127.0.0.1', {port})); "
            "print(s.getsockname()[0])")
    local = subprocess.run(in_client_cgroups([*host.prefix, sys.executable, "-c", code]),
                           check=True, capture_output=True, text=True).stdout.strip()
    if local.startswith("127."):
        raise RuntimeError(f"port {port} is not redirected (local address {local})")


def wait_up(host: TestHost, url: str) -> None:
    deadline = time.monotonic() + 10
    while subprocess.run([*host.prefix, "curl", "-sf", "-o", "/dev/null", url]).returncode:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} does not answer")
        time.sleep(0.1)


def cgroup_of(pid: int) -> dict[str, str]:
    """controller (or "" for cgroup v2) -> path, from /proc/PID/cgroup."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                out[name] = path
    return out


def cpu_ns(pid: int) -> int:
    """CPU time used so far by the cgroup PID is in (cpuacct v1, or cgroup v2's cpu.stat)."""
    groups = cgroup_of(pid)
    if "cpuacct" in groups:
        with open(f"/sys/fs/cgroup/cpuacct{groups['cpuacct']}/cpuacct.usage") as f:
            return int(f.read())
    with open(f"/sys/fs/cgroup{groups['']}/cpu.stat") as f:
        return int(f.read().split()[1]) * 1000  # usage_usec


def server_pid(host: TestHost, teu: Teu, name: str) -> int:
    return int(subprocess.run(host.prefix + teu.cmd("inspect", "-f", "{{.State.Pid}}", name),
                              env=teu.env, check=True, capture_output=True,
                              text=True).stdout)


def start_servers(host: TestHost, teu: Teu, podman: Podman | None, top: str, site: str,
                  group: str, lb_cgroup: str, diagnose: bool
                  ) -> tuple[list[subprocess.Popen], dict[str, int]]:
    """The servers' processes, and the server's PID of each row whose CPU time is read
    from a cgroup of its own."""
    def teu_run(*args: str, env: dict | None = None) -> None:
        subprocess.run(host.prefix + teu.cmd("run", "-d", "-v", f"{site}:/www", *args),
                       env=env or teu.env, check=True, stdout=subprocess.DEVNULL)

    teu_run("--name", "web", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/www")
    teu_run("--name", "web-hairpin", "-p", "8079:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/www")
    # the same published port without the loopback fast path: the kernel's DNAT and the
    # bridge for 127.0.0.1 too (what teu did before session 6)
    teu_run("--name", "web-dnat", "-p", "8076:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/www", env={**teu.env, "TEU_PORT_FASTPATH": "0"})
    if lb_cgroup:
        # the same through the socket-level redirect (teu.network.socklb): the clients'
        # connect() goes straight to the container's address, no per-packet NAT
        lb_env = {**teu.env, "TEU_SOCKET_LB_CGROUP": lb_cgroup}
        teu_run("--name", "web-socklb", "-p", "8087:80", "busybox", "httpd", "-f", "-p",
                "80", "-h", "/www", env=lb_env)
        if diagnose and os.path.isdir("/sys/fs/cgroup/cpu"):
            # and once more, its server then moved to the root of the cpu hierarchy: what a
            # container without a cpu cgroup of its own would get (not what teu does)
            teu_run("--name", "web-nocpu", "-p", "8084:80", "busybox", "httpd", "-f", "-p",
                    "80", "-h", "/www", env=lb_env)
            with open("/sys/fs/cgroup/cpu/cgroup.procs", "w") as f:
                f.write(str(server_pid(host, teu, "web-nocpu")))
    teu_run("--name", "web-hostnet", "--network", "host", "busybox", "httpd", "-f", "-p",
            "127.0.0.1:8083", "-h", "/www")
    procs = []
    # a second container, reached at its own address (no NAT: what a socket-level
    # redirect of connect() would give a client on the host) and behind docker-proxy
    teu_run("--name", "web-proxied", "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
    ip = subprocess.run(host.prefix + teu.cmd(
        "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web-proxied"), env=teu.env,
        check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(top, "direct-ip"), "w") as f:
        f.write(ip)
    if os.path.exists(DOCKER_PROXY):
        # fd 3: where the proxy tells dockerd it is ready (else it takes its listener's fd)
        procs.append(subprocess.Popen([*host.prefix, "sh", "-c", 'exec "$0" "$@" 3>/dev/null',
                                       DOCKER_PROXY, "-proto", "tcp",
                                       "-host-ip", "127.0.0.1", "-host-port", "8091",
                                       "-container-ip", ip, "-container-port", "80"]))
    if podman is not None:
        subprocess.run(host.prefix + podman.cmd("run", "-d", "--name", "web", *ULIMITS,
                                                "-p", "8090:80", "-v", f"{site}:/www",
                                                "localhost/busybox", "httpd", "-f", "-p",
                                                "80", "-h", "/www"),
                       env=podman.env, check=True, stdout=subprocess.DEVNULL)
    # the same binary as the container's, from the same image, straight on the host
    os.makedirs(os.path.join(top, "bin"))
    binary = os.path.join(top, "bin", "busybox")
    shutil.copy("/bin/busybox", binary)
    bare = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p", "127.0.0.1:8081",
                             "-h", site])
    procs.append(bare)
    own = os.path.join("/sys/fs/cgroup/cpuacct", group + "-host")
    if os.path.isdir("/sys/fs/cgroup/cpuacct"):  # its CPU time apart from the bench's own
        os.makedirs(own, exist_ok=True)
        with open(f"{own}/cgroup.procs", "w") as f:
            f.write(str(bare.pid))
    pids = {}
    if os.path.isdir(own):
        pids["host"] = bare.pid
    for row, name in (("teu -p", "web"), ("teu -p dnat", "web-dnat"),
                      ("teu hostnet", "web-hostnet"),
                      ("teu direct", "web-proxied"), ("outside -p", "web"),
                      ("outside direct", "web-proxied"),
                      ("hairpin -p", "web-hairpin")):
        pids[row] = server_pid(host, teu, name)
    if lb_cgroup:
        pids["teu -p socklb"] = server_pid(host, teu, "web-socklb")
    if podman is not None:  # its CPU time from its container's cgroup too
        pids["podman -p"] = int(subprocess.run(
            host.prefix + podman.cmd("inspect", "-f", "{{.State.Pid}}", "web"),
            env=podman.env, check=True, capture_output=True, text=True).stdout)
    if diagnose:
        procs += host_diagnostics(host, teu, binary, site, group, own, lb_cgroup, pids)
    return procs, pids


def host_diagnostics(host: TestHost, teu: Teu, binary: str, site: str, group: str,
                     own: str, lb_cgroup: str, pids: dict[str, int]
                     ) -> list[subprocess.Popen]:
    """--diagnose: the host's server placed in a container's cgroups (every controller,
    the cpu one alone, a cpu/memory/pids group of its own), to tell the scheduler's part
    from the network path's. Adds each one's PID to pids."""
    procs = []
    # once more in the cgroups of the container itself (every controller): the same
    # scheduling as the container's server, without its namespaces and network path
    inside = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p", "127.0.0.1:8088",
                               "-h", site])
    procs.append(inside)
    # and in the container's cpu cgroup alone (its own cpuacct group for its CPU time):
    # CFS group scheduling, nothing else of the container's
    cpu_only = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p",
                                 "127.0.0.1:8089", "-h", site])
    procs.append(cpu_only)
    ctr = cgroup_of(server_pid(host, teu, "web"))
    for name, path in ctr.items():
        d = f"/sys/fs/cgroup/{name}{path}" if name and not name.startswith("name=") else ""
        if d and os.path.isdir(d):
            with open(f"{d}/cgroup.procs", "w") as f:
                f.write(str(inside.pid))
    if "cpu" in ctr and os.path.isdir("/sys/fs/cgroup/cpuacct"):
        with open(f"/sys/fs/cgroup/cpu{ctr['cpu']}/cgroup.procs", "w") as f:
            f.write(str(cpu_only.pid))
        os.makedirs(f"{own}-cpu", exist_ok=True)
        with open(f"{own}-cpu/cgroup.procs", "w") as f:
            f.write(str(cpu_only.pid))
    # and once more in a cpu/memory/pids cgroup of its own, as a container is: under load
    # the scheduler shares CPU between groups, which the bare host process escapes
    grouped = subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p",
                                "127.0.0.1:8085", "-h", site])
    procs.append(grouped)
    for c in CONTROLLERS:
        d = f"/sys/fs/cgroup/{c}/{group}"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/cgroup.procs", "w") as f:
            f.write(str(grouped.pid))
    pids.update({"host cgroup": grouped.pid, "host in ctr cgroup": inside.pid})
    if os.path.isdir(f"{own}-cpu"):
        pids["host in ctr cpu"] = cpu_only.pid
    if lb_cgroup and os.path.isdir("/sys/fs/cgroup/cpu"):
        pids["socklb no cpu cg"] = server_pid(host, teu, "web-nocpu")
    return procs


def make_client_cgroups(group: str) -> str:
    """Every client (wrk, the latency client) runs in a cgroup v2 of the bench's own, where
    the socket-level redirect's programs are attached (never the machine's root cgroup;
    a cgroup with no controllers: it changes no scheduling), and in a cpuacct group of its
    own (v1) for its CPU time. Returns the cgroup v2 path ('' without a cgroup2 mount)."""
    lb = ""
    with open("/proc/self/mounts") as f:
        top = next((line.split()[1] for line in f if line.split()[2] == "cgroup2"), "")
    if top:
        lb = os.path.join(top, group)
        os.mkdir(lb)
        CLIENT_CGROUPS.append(f"{lb}/cgroup.procs")
    if os.path.isdir("/sys/fs/cgroup/cpuacct"):
        d = f"/sys/fs/cgroup/cpuacct/{group}-client"
        os.mkdir(d)
        CLIENT_CGROUPS.append(f"{d}/cgroup.procs")
    return lb


def client_ns() -> int:
    for f in CLIENT_CGROUPS:
        if "/cpuacct/" in f:
            with open(os.path.join(os.path.dirname(f), "cpuacct.usage")) as u:
                return int(u.read())
    return 0


def remove_group(group: str) -> None:
    for d in [f"/sys/fs/cgroup/{c}/{group}" for c in CONTROLLERS] + \
            [f"/sys/fs/cgroup/cpuacct/{group}-host{x}" for x in ("", "-cpu", "-outside")]:
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


def spread(values: list[float]) -> str:
    """Median and quartiles of per-round ratios."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    return f"{statistics.median(values):.3f} [{q[0]:.2f}-{q[2]:.2f}]"


def print_rates(rates: dict[str, list[float]],
                cpu: dict[str, list[tuple[float, float]]]) -> None:
    """One line a row: median rate, the median and quartiles of its per-round ratio to the
    host's server in the same round (the outside rows: to the host's server reached from
    outside), and the CPU per request (server's cgroup + wrk's) and its per-round ratio."""
    print(f"{'':18} {'req/s':>7}  {'/ host [q1-q3]':18} {'CPU us/req':>10} "
          f"{'(server+wrk)':12}  CPU / host [q1-q3]")
    for k, v in rates.items():
        base = "outside host" if k.startswith("outside") else "host"
        line = f"{k:18} {statistics.median(v):7.0f}  "
        ratio = [x / y for x, y in zip(v, rates[base], strict=True)]
        line += f"{spread(ratio) if k != base else '1':18}"
        if cpu.get(k):
            tot = [s + c for s, c in cpu[k]]
            srv, cl = statistics.median(x for x, _ in cpu[k]), \
                statistics.median(y for _, y in cpu[k])
            line += f" {statistics.median(tot):10.1f} {f'({srv:.0f}+{cl:.0f})':12}"
            if k != base and cpu.get(base):
                line += "  " + spread([t / (s + c) for t, (s, c) in zip(tot, cpu[base],
                                                                    strict=True)])
        print(line)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=1)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--outside", action="store_true")
    ap.add_argument("--latency", type=int, default=0)
    ap.add_argument("--diagnose", action="store_true")
    ap.add_argument("--rows", default="", help="time only these rows (comma-separated; "
                    "host always): more rounds of the rows that matter in the same time")
    args = ap.parse_args()
    use_podman = not args.no_podman and shutil.which("podman") and shutil.which("runc")
    host = TestHost()
    client = TestHost() if args.outside else None
    group = f"teubench-{os.getpid()}"
    procs: list[subprocess.Popen] = []
    podman = None
    areas: dict[str, dict[str, float]] = {}
    latency: dict[str, list[float]] = {}
    cpu: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="teu-netbench-") as top:
        site = os.path.join(top, "www")
        os.makedirs(site)
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write("x" * 1024)
        tarball = busybox_tar(os.path.join(top, "busybox.tar"))
        teu = Teu(top, tarball)
        teu.env["TEU_NETWORK"] = "bridge"
        try:
            if use_podman:
                podman = Podman(top, tarball)
            lb_cgroup = make_client_cgroups(group)
            procs, pids = start_servers(host, teu, podman, top, site, group, lb_cgroup,
                                        args.diagnose)
            local = {"host": 8081, "teu -p": 8080, "teu -p dnat": 8076, "teu hostnet": 8083}
            for row, port in (("host cgroup", 8085), ("host in ctr cgroup", 8088),
                              ("host in ctr cpu", 8089), ("teu -p socklb", 8087),
                              ("socklb no cpu cg", 8084)):
                if row in pids:
                    local[row] = port
            if os.path.exists(DOCKER_PROXY):
                local["docker-proxy"] = 8091
            if podman is not None:
                local["podman -p"] = 8090
            urls = {k: (host, f"http://127.0.0.1:{p}/index.html") for k, p in local.items()}
            with open(os.path.join(top, "direct-ip")) as f:
                urls["teu direct"] = (host, f"http://{f.read()}:80/index.html")
            if client is not None:
                subprocess.run([*host.prefix, "ip", "link", "add", "cl0", "type", "veth",
                                "peer", "name", "cl1", "netns", client.name], check=True)
                for side, dev, addr in ((host, "cl0", "10.99.0.1/24"),
                                        (client, "cl1", "10.99.0.2/24")):
                    subprocess.run([*side.prefix, "ip", "addr", "add", addr, "dev", dev],
                                   check=True)
                    subprocess.run([*side.prefix, "ip", "link", "set", dev, "up"], check=True)
                outside = subprocess.Popen([*host.prefix, os.path.join(top, "bin", "busybox"),
                                            "httpd", "-f", "-p", "10.99.0.1:8086", "-h", site])
                procs.append(outside)
                d = f"/sys/fs/cgroup/cpuacct/{group}-host-outside"
                if os.path.isdir("/sys/fs/cgroup/cpuacct"):
                    os.makedirs(d, exist_ok=True)
                    with open(f"{d}/cgroup.procs", "w") as f:
                        f.write(str(outside.pid))
                    pids["outside host"] = outside.pid
                urls["outside host"] = (client, "http://10.99.0.1:8086/index.html")
                urls["outside -p"] = (client, "http://10.99.0.1:8080/index.html")
                # and routed to the second container's own address: the forwarding, the
                # bridge and the veth without the DNAT (its share of "outside -p")
                subprocess.run([*client.prefix, "ip", "route", "add", "10.77.0.0/16", "via",
                                "10.99.0.1"], check=True)
                with open(os.path.join(top, "direct-ip")) as f:
                    urls["outside direct"] = (client, f"http://{f.read()}:80/index.html")
            # hairpin: a client in the container's own network namespace, to its published
            # port on the gateway (DNAT back into the bridge, masqueraded)
            inner = ContainerSide(pids["hairpin -p"])
            gateway = subprocess.run(host.prefix + teu.cmd(
                "inspect", "-f", "{{.NetworkSettings.Gateway}}", "web-hairpin"), env=teu.env,
                check=True, capture_output=True, text=True).stdout.strip()
            urls["hairpin -p"] = (inner, f"http://{gateway}:8079/index.html")
            if args.rows:
                keep = {"host", *(r.strip() for r in args.rows.split(","))}
                if client is not None:
                    keep.add("outside host")
                urls = {k: v for k, v in urls.items() if k in keep}
            for where, url in urls.values():
                wait_up(where, url)
            for port in (8087, 8084) if lb_cgroup else ():
                if any(url.endswith(f":{port}/index.html") for _, url in urls.values()):
                    check_redirected(host, port)
            rates: dict[str, list[float]] = {k: [] for k in urls}
            ratios: dict[str, list[float]] = {k: [] for k in urls}
            cpu.update({k: [] for k in pids if k in urls})
            for _ in range(args.rounds):
                order = list(urls)
                random.shuffle(order)
                got = {}
                for k in order:
                    before = (cpu_ns(pids[k]), client_ns()) if k in cpu else None
                    got[k], done = wrk(*urls[k], args.seconds, args.connections)
                    if before is not None:
                        cpu[k].append(((cpu_ns(pids[k]) - before[0]) / done / 1e3,
                                       (client_ns() - before[1]) / done / 1e3))
                for k in urls:
                    rates[k].append(got[k])
                    ratios[k].append(got[k] / got["host"])
            if args.latency:
                latency = request_times(urls, args.latency)
            if args.perf:
                for k in [k for k in ("host", "teu -p", "teu -p socklb") if k in urls]:
                    data = os.path.join(top, "perf.data")
                    _, done = wrk(*urls[k], args.seconds * 2, args.connections, data)
                    areas[k] = cpu_by_area(data, done)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
            remove_group(group)
            subprocess.run(host.prefix + teu.cmd("rm", "-f", "web", "web-hostnet",
                                                 "web-proxied", "web-socklb", "web-nocpu",
                                                 "web-hairpin", "web-dnat"),
                           env=teu.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for f in CLIENT_CGROUPS:  # empty by now: the clients have exited
                os.rmdir(os.path.dirname(f))
            if podman is not None:
                podman.stop()
            if client is not None:
                client.remove()
            host.remove()
    print(f"wrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds} s, "
          f"load average {os.getloadavg()[0]:.1f}")
    print_rates(rates, cpu)
    for a, b in (("teu -p socklb", "teu -p"), ("teu -p socklb", "host in ctr cgroup"),
                 ("teu -p", "host in ctr cgroup"), ("teu -p", "host cgroup"),
                 ("teu -p", "podman -p"), ("teu -p", "teu -p dnat"),
                 ("outside -p", "outside host")):
        if a in rates and b in rates:
            per_round = [x / y for x, y in zip(rates[a], rates[b], strict=True)]
            print(f"{a} / {b}: {spread(per_round)}")
    if latency:
        print(f"\nrequest time, {args.latency} sequential requests each (us): p10, median")
        for k, v in latency.items():
            print(f"  {k:18} {v[len(v) // 10]:7.0f} {statistics.median(v):7.0f}")
    if areas:
        cols = list(areas)
        print(f"\nCPU per request (us) by kernel area (perf): {', '.join(cols)}, and each "
              "one's difference to the host")
        names = ["total", *(a for a, _ in AREAS), "other"]
        for n in names:
            v = [areas[k].get(n, 0.0) for k in cols]
            print(f"  {n:11} " + " ".join(f"{x:7.1f}" for x in v) + "  "
                  + " ".join(f"{x - v[0]:+7.1f}" for x in v[1:]))
        net = [sum(areas[k].get(a, 0.0) for a in NET_AREAS) for k in cols]
        print(f"  {'network':11} " + " ".join(f"{x:7.1f}" for x in net) + "  "
              + " ".join(f"{x - net[0]:+7.1f} ({(x - net[0]) / areas['host'].get('total', 1):.1%})"
                         for x in net[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
