#!/usr/bin/env python3
"""Requests per second of busybox httpd in a teu container through a published port
(-p 8080:80: DNAT by the kernel, teu's nftables table, the bridge, a veth) against the
same busybox httpd run directly in the test host, both measured with wrk from the test
host on 127.0.0.1 (target: >= 0.98 of the host's rate).

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
the bridge, the veth: no 127.0.0.1 and route_localnet on that path).

--latency N: N sequential requests (one connection at a time, a raw HTTP/1.0 GET from a
small Python client in the test host, every server in turn, shuffled): the 10th
percentile and the median of each server's request time. The low percentile is the
path without queueing behind other jobs, so it shows the path's own cost even on a
busy machine, where rates mostly measure the scheduler.

--perf also samples the kernel (perf record -a, cpu-clock) during one more run of the
host and of the container and prints the CPU time per request by kernel area
(netfilter, bridge, veth, routing, ...) for the client, the servers and ksoftirqd:
where the forwarding path's cost goes.

    python3 bench/network_throughput.py [--rounds 8] [--seconds 2] [--connections 8]
                                        [--no-podman] [--perf] [--outside]
                                        [--latency 300]
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

CONTROLLERS = ("cpu", "memory", "pids")
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


def wrk(host: TestHost, url: str, seconds: int, connections: int,
        perf: str | None = None) -> tuple[float, int]:
    """(requests/s, requests done)."""
    cmd = [*host.prefix, "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
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
        p = subprocess.run([*side.prefix, sys.executable, "-c", _CLIENT, str(n),
                            json.dumps(targets)], check=True, capture_output=True, text=True)
        out.update({k: sorted(v) for k, v in json.loads(p.stdout).items()})
    return out


def wait_up(host: TestHost, url: str) -> None:
    deadline = time.monotonic() + 10
    while subprocess.run([*host.prefix, "curl", "-sf", "-o", "/dev/null", url]).returncode:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} does not answer")
        time.sleep(0.1)


def start_servers(host: TestHost, teu: Teu, podman: Podman | None, top: str, site: str,
                  group: str) -> list[subprocess.Popen]:
    def teu_run(*args: str) -> None:
        subprocess.run(host.prefix + teu.cmd("run", "-d", "-v", f"{site}:/www", *args),
                       env=teu.env, check=True, stdout=subprocess.DEVNULL)

    teu_run("--name", "web", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/www")
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
    procs.append(subprocess.Popen([*host.prefix, binary, "httpd", "-f", "-p",
                                   "127.0.0.1:8081", "-h", site]))
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
    return procs


def remove_group(group: str) -> None:
    for c in CONTROLLERS:
        d = f"/sys/fs/cgroup/{c}/{group}"
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--outside", action="store_true")
    ap.add_argument("--latency", type=int, default=0)
    args = ap.parse_args()
    use_podman = not args.no_podman and shutil.which("podman") and shutil.which("runc")
    host = TestHost()
    client = TestHost() if args.outside else None
    group = f"teubench-{os.getpid()}"
    procs: list[subprocess.Popen] = []
    podman = None
    areas: dict[str, dict[str, float]] = {}
    latency: dict[str, list[float]] = {}
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
            procs = start_servers(host, teu, podman, top, site, group)
            local = {"host": 8081, "teu -p": 8080, "teu hostnet": 8083, "host cgroup": 8085}
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
                procs.append(subprocess.Popen([*host.prefix, os.path.join(top, "bin",
                                                                          "busybox"),
                                               "httpd", "-f", "-p", "10.99.0.1:8086", "-h",
                                               site]))
                urls["outside host"] = (client, "http://10.99.0.1:8086/index.html")
                urls["outside -p"] = (client, "http://10.99.0.1:8080/index.html")
            for where, url in urls.values():
                wait_up(where, url)
            rates: dict[str, list[float]] = {k: [] for k in urls}
            ratios: dict[str, list[float]] = {k: [] for k in urls}
            for _ in range(args.rounds):
                order = list(urls)
                random.shuffle(order)
                got = {k: wrk(*urls[k], args.seconds, args.connections)[0] for k in order}
                for k in urls:
                    rates[k].append(got[k])
                    ratios[k].append(got[k] / got["host"])
            if args.latency:
                latency = request_times(urls, args.latency)
            if args.perf:
                for k in ("host", "teu -p"):
                    data = os.path.join(top, "perf.data")
                    _, done = wrk(*urls[k], args.seconds * 2, args.connections, data)
                    areas[k] = cpu_by_area(data, done)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
            remove_group(group)
            subprocess.run(host.prefix + teu.cmd("rm", "-f", "web", "web-hostnet",
                                                 "web-proxied"),
                           env=teu.env, stdout=subprocess.DEVNULL)
            if podman is not None:
                podman.stop()
            if client is not None:
                client.remove()
            host.remove()
    print(f"wrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds} s, "
          f"load average {os.getloadavg()[0]:.1f}")
    for k in rates:
        line = f"{k:12} median {statistics.median(rates[k]):7.0f} req/s"
        if k != "host":
            line += (f"   / host {statistics.median(ratios[k]):.3f}"
                     f" (rounds {', '.join(f'{x:.2f}' for x in ratios[k])})")
        print(line)
    per_round = [c / g for c, g in zip(rates["teu -p"], rates["host cgroup"], strict=True)]
    print(f"teu -p / host cgroup (the data path alone): {statistics.median(per_round):.3f}")
    if podman is not None:
        per_round = [c / p for c, p in zip(rates["teu -p"], rates["podman -p"], strict=True)]
        print(f"teu -p / podman -p: {statistics.median(per_round):.3f}")
    if client is not None:
        per_round = [c / h for c, h in zip(rates["outside -p"], rates["outside host"],
                                           strict=True)]
        print(f"from outside: teu -p / host: {statistics.median(per_round):.3f}")
    if latency:
        print(f"\nrequest time, {args.latency} sequential requests each (us): p10, median")
        for k, v in latency.items():
            print(f"  {k:12} {v[len(v) // 10]:7.0f} {statistics.median(v):7.0f}")
    if areas:
        print("\nCPU per request (us) by kernel area: host, teu -p, difference")
        names = ["total", *(a for a, _ in AREAS), "other"]
        for n in names:
            h, c = areas["host"].get(n, 0.0), areas["teu -p"].get(n, 0.0)
            print(f"  {n:11} {h:7.1f} {c:7.1f} {c - h:+7.1f}")
        net = [sum(areas[k].get(a, 0.0) for a in NET_AREAS) for k in ("host", "teu -p")]
        print(f"  {'network':11} {net[0]:7.1f} {net[1]:7.1f} {net[1] - net[0]:+7.1f}"
              f"  ({(net[1] - net[0]) / areas['host'].get('total', 1):.1%} of the host's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
