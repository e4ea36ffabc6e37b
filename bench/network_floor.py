#!/usr/bin/env python3
"""The floor under a published port: what the kernel's own pieces cost, with no teu at all.

The same busybox httpd (serving a 1 KiB file) and the same wrk client as
bench/network_throughput.py, but every server is a plain process in the caller's cgroups,
started in a network namespace made here, and every piece of the path is added one at a
time, by hand, with ip and nft:

  loopback       the server on the client host's 127.0.0.1 (the baseline, as the host row
                 of network_throughput.py)
  loopback A/A   a second, identical server on 127.0.0.1: the same path as the baseline,
                 so its ratio shows how far this machine's noise alone moves a ratio
  veth           the server in a namespace of its own behind a plain veth pair, routed (no
                 bridge, no NAT): the least any container with its own network namespace
                 can cost on this path
  veth+dnat      the same, reached on 127.0.0.1:8001 through an nftables DNAT and
                 masquerade (route_localnet), no bridge
  bridge         the server behind a veth on a Linux bridge (as docker's, podman's and
                 teu's bridge networks are), reached at its own address
  bridge, brnf 0 the same with br_netfilter's bridge-nf-call-iptables off in the client
                 host (it is on by default, and docker needs it)
  bridge+dnat    the bridge reached on 127.0.0.1:8002 through the DNAT: the path of a
                 published port, made by hand
  teu -p         with --teu: the same busybox httpd in a teu container on teu's default
                 bridge, `-p 8080:80` (its CPU time read from the container's own cgroup):
                 teu's loopback fast path (tc programs, no DNAT, no bridge)
  teu -p dnat    with --teu: the same with TEU_PORT_FASTPATH=0 (teu's nftables DNAT and
                 the bridge)

Every round runs each row once for --seconds, in a shuffled order. Two figures per row:
CPU per request (the cpuacct time of a cgroup holding wrk and every server, divided by the
requests done; insensitive to the machine's load and to the hypervisor's steal) and the
rate (all requests over all the row's seconds, and the median of per-round ratios to the
baseline with its quartiles). On the bench's two cores wrk and the server share the CPUs,
so over a long run the rate ratio follows the inverse of the CPU ratio.

Everything is made in network namespaces of the bench's own and removed at the end.

    python3 bench/network_floor.py [--rounds 30] [--seconds 1] [--connections 8] [--teu]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _test_host import TestHost  # noqa: E402

CPUACCT = "/sys/fs/cgroup/cpuacct"


class Accounting:
    """A cpuacct cgroup (v1, or a cgroup2 directory where there is no v1 cpuacct) that
    wrk and every server join: the CPU time of both sides of every request."""

    def __init__(self) -> None:
        name = f"teubench-floor-{uuid.uuid4().hex[:8]}"
        if os.path.isdir(CPUACCT):
            self.path = os.path.join(CPUACCT, name)
            self.v2 = False
        else:
            self.path = os.path.join("/sys/fs/cgroup", name)
            self.v2 = True
        os.mkdir(self.path)
        self.others: list[tuple[str, bool]] = []  # cgroups counted too (a teu container's)

    def join_cmd(self, cmd: list[str]) -> list[str]:
        return ["sh", "-c", f'echo $$ > {self.path}/cgroup.procs; exec "$@"', "sh", *cmd]

    def usage_ns(self) -> int:
        return cgroup_usage_ns(self.path, self.v2) + sum(
            cgroup_usage_ns(path, v2) for path, v2 in self.others)

    def count_cgroup_of(self, pid: int) -> None:
        with open(f"/proc/{pid}/cgroup") as f:
            groups = dict(line.rstrip("\n").split(":", 2)[1:] for line in f)
        for names, path in groups.items():
            if "cpuacct" in names.split(","):
                self.others.append((os.path.join("/sys/fs/cgroup", names) + path, False))
                return
        self.others.append(("/sys/fs/cgroup" + groups[""], True))

    def remove(self) -> None:
        for _ in range(50):  # the servers' last children may still be exiting
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)
        os.rmdir(self.path)


def cgroup_usage_ns(path: str, v2: bool) -> int:
    if v2:
        with open(os.path.join(path, "cpu.stat")) as f:
            return int(f.read().split()[1]) * 1000  # usage_usec
    with open(os.path.join(path, "cpuacct.usage")) as f:
        return int(f.read())


def run(cmd: list[str], stdin: str | None = None, env: dict | None = None) -> str:
    return subprocess.run(cmd, input=stdin, env=env, check=True, capture_output=True,
                          text=True).stdout


class Floor:
    """The client host, the server namespaces and the rows' URLs."""

    def __init__(self, acct: Accounting) -> None:
        self.acct = acct
        self.hosts: list[TestHost] = []  # what remove() undoes, even after a failed build
        self.servers: list[subprocess.Popen] = []
        self.rows: dict[str, str] = {}
        self.teu = None

    def build(self, site: str) -> None:
        self.client = self._host()
        c = self.client.prefix
        routed, br_a, br_b = self._host(), self._host(), self._host()
        run([*c, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"])
        # a plain veth pair, routed: 10.97.0.1 (client host) <-> 10.97.0.2
        self._veth(routed, "vr", "10.97.0.1/24", "10.97.0.2/24")
        # a bridge with two servers on it: 10.98.0.2 at its own address, 10.98.0.3
        # through the DNAT (two, so that no server sees one client address with two TCP
        # timestamp bases: a masqueraded client and a direct one would share 4-tuples)
        run([*c, "ip", "link", "add", "flrbr0", "type", "bridge"])
        run([*c, "ip", "addr", "add", "10.98.0.1/24", "dev", "flrbr0"])
        run([*c, "ip", "link", "set", "flrbr0", "up"])
        self._veth(br_a, "vba", None, "10.98.0.2/24", bridge="flrbr0")
        self._veth(br_b, "vbb", None, "10.98.0.3/24", bridge="flrbr0")
        # a third routed server for veth+dnat (its own, for the same reason)
        routed_nat = self._host()
        self._veth(routed_nat, "vrn", "10.96.0.1/24", "10.96.0.2/24")
        run([*c, "nft", "-f", "-"], stdin="""table ip teubench_floor {
  chain out { type nat hook output priority -100;
    ip daddr 127.0.0.1 tcp dport 8001 dnat to 10.96.0.2:80
    ip daddr 127.0.0.1 tcp dport 8002 dnat to 10.98.0.3:80
  }
  chain post { type nat hook postrouting priority 100;
    ip saddr 127.0.0.0/8 ip daddr { 10.96.0.2, 10.98.0.3 } masquerade
  }
}
""")
        self._serve(self.client, "127.0.0.1:8000", site)
        self._serve(self.client, "127.0.0.1:8003", site)
        self._serve(routed, "10.97.0.2:80", site)
        self._serve(routed_nat, "10.96.0.2:80", site)
        self._serve(br_a, "10.98.0.2:80", site)
        self._serve(br_b, "10.98.0.3:80", site)
        self.rows = {
            "loopback": "http://127.0.0.1:8000/index.html",
            "loopback A/A": "http://127.0.0.1:8003/index.html",
            "veth": "http://10.97.0.2/index.html",
            "veth+dnat": "http://127.0.0.1:8001/index.html",
            "bridge": "http://10.98.0.2/index.html",
            "bridge, brnf 0": "http://10.98.0.2/index.html",
            "bridge+dnat": "http://127.0.0.1:8002/index.html",
        }
    def add_teu(self, top: str, site: str) -> None:
        """A teu container on teu's default bridge in the client host, `-p 8080:80`."""
        from _engine_peers import Teu, busybox_tar

        self.teu = Teu(top, busybox_tar(os.path.join(top, "busybox.tar")))
        self.teu.env["TEU_NETWORK"] = "bridge"
        for name, port, env in (("web", 8080, {}), ("web-dnat", 8076,
                                                     {"TEU_PORT_FASTPATH": "0"})):
            run(self.client.prefix + self.teu.cmd(
                "run", "-d", "--name", name, "-v", f"{site}:/www", "-p", f"{port}:80",
                "busybox", "httpd", "-f", "-p", "80", "-h", "/www"),
                env={**self.teu.env, **env})
            pid = int(run(self.client.prefix + self.teu.cmd(
                "inspect", "-f", "{{.State.Pid}}", name), env=self.teu.env))
            self.acct.count_cgroup_of(pid)
        self.rows["teu -p"] = "http://127.0.0.1:8080/index.html"
        self.rows["teu -p dnat"] = "http://127.0.0.1:8076/index.html"

    def warm(self) -> None:
        for url in set(self.rows.values()):
            self.wrk(url, 1)  # warm: ARP, the servers' first fork

    def _host(self) -> TestHost:
        host = TestHost()
        self.hosts.append(host)
        return host

    def _veth(self, server: TestHost, name: str, client_addr: str | None,
              server_addr: str, bridge: str | None = None) -> None:
        c = self.client.prefix
        run(["ip", "link", "add", name, "netns", self.client.name, "type", "veth",
             "peer", "name", "eth0", "netns", server.name])
        if bridge:
            run([*c, "ip", "link", "set", name, "master", bridge])
        if client_addr:
            run([*c, "ip", "addr", "add", client_addr, "dev", name])
        run([*c, "ip", "link", "set", name, "up"])
        run([*server.prefix, "ip", "addr", "add", server_addr, "dev", "eth0"])
        run([*server.prefix, "ip", "link", "set", "eth0", "up"])
        gateway = (client_addr or server_addr).split("/")[0].rsplit(".", 1)[0] + ".1"
        run([*server.prefix, "ip", "route", "add", "default", "via", gateway])

    def _serve(self, host: TestHost, addr: str, site: str) -> None:
        self.servers.append(subprocess.Popen(self.acct.join_cmd(
            [*host.prefix, "busybox", "httpd", "-f", "-p", addr, "-h", site])))

    def brnf(self, on: bool) -> None:
        run([*self.client.prefix, "sysctl", "-qw",
             f"net.bridge.bridge-nf-call-iptables={int(on)}"])

    def wrk(self, url: str, seconds: int, connections: int = 8) -> tuple[float, int]:
        out = run(self.acct.join_cmd([*self.client.prefix, "wrk", "-t2",
                                      f"-c{connections}", f"-d{seconds}s", url]))
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        done = re.search(r"(\d+) requests in", out)
        if not rate or not done:
            raise RuntimeError(f"wrk said: {out}")
        return float(rate.group(1)), int(done.group(1))

    def remove(self) -> None:
        if self.teu is not None:
            subprocess.run(self.client.prefix + self.teu.cmd("rm", "-f", "web", "web-dnat"),
                           env=self.teu.env, capture_output=True)
        for p in self.servers:
            p.kill()
            p.wait()
        for host in self.hosts:
            host.remove()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=1)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--teu", action="store_true", help="add teu's own -p beside them")
    args = ap.parse_args()
    site = tempfile.mkdtemp(prefix="teubench-floor-")
    with open(os.path.join(site, "index.html"), "wb") as f:
        f.write(os.urandom(768).hex().encode()[:1024])
    acct = Accounting()
    floor = Floor(acct)
    try:
        floor.build(site)
        if args.teu:
            floor.add_teu(site + "-teu", site)
        floor.warm()
        rows = list(floor.rows)
        cpu = {k: 0 for k in rows}
        done = {k: 0 for k in rows}
        ratios: dict[str, list[float]] = {k: [] for k in rows}
        loads = []
        for _ in range(args.rounds):
            random.shuffle(rows)
            rates = {}
            for k in rows:
                floor.brnf(k != "bridge, brnf 0")
                before = acct.usage_ns()
                rates[k], n = floor.wrk(floor.rows[k], args.seconds, args.connections)
                cpu[k] += acct.usage_ns() - before
                done[k] += n
            floor.brnf(True)
            for k in rows:
                ratios[k].append(rates[k] / rates["loopback"])
            loads.append(os.getloadavg()[0])
        base_cpu = cpu["loopback"] / done["loopback"]
        print(f"wrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds} s, "
              f"load average {min(loads):.1f}-{max(loads):.1f}")
        print(f"{'':16} {'req/s':>7} {'/ loopback':>10} {'per round [q1-q3]':>20}"
              f" {'CPU us/req':>11} {'CPU / loopback':>14}")
        for k in floor.rows:
            rate = done[k] / (args.rounds * args.seconds)
            per_req = cpu[k] / done[k] / 1000
            q1, med, q3 = statistics.quantiles(ratios[k], n=4)
            print(f"{k:16} {rate:7.0f} {rate / (done['loopback'] / (args.rounds * args.seconds)):10.3f}"
                  f" {statistics.median(ratios[k]):8.3f} [{q1:.2f}-{q3:.2f}]"
                  f" {per_req:11.1f} {per_req / (base_cpu / 1000):14.3f}")
    finally:
        floor.remove()
        acct.remove()
        for name in os.listdir(site):
            os.unlink(os.path.join(site, name))
        os.rmdir(site)
        shutil.rmtree(site + "-teu", ignore_errors=True)


if __name__ == "__main__":
    main()
