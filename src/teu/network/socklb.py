"""Published ports without per-packet NAT for this host's own clients: a cgroup/connect4
program rewrites a connect() to a published TCP port into a connect() to the container's
address (what Cilium's socket LB and kube-proxy-free Kubernetes do), so the kernel's
DNAT, conntrack NAT and re-routing of every packet are skipped; a cgroup/getpeername4
program makes the socket report the address it asked for (teu.network.bpf has both).

Opt-in: TEU_SOCKET_LB_CGROUP names a cgroup v2 directory (the root of a pure cgroup v2
host, /sys/fs/cgroup, for every process of the machine; a smaller one to limit it). The
programs see the processes of that cgroup and its descendants; they rewrite only sockets
of the network namespace whose port it is (the key holds its netns cookie), so other
namespaces, containers included, and other ports pass untouched. The nftables DNAT
elements stay in place beside it: a client outside that cgroup or namespace, another
machine, UDP, IPv6, a host address that is not the bound one (a wildcard binding is
redirected for 127.0.0.0/8) take the kernel's DNAT as before, and if BPF cannot be used
(no cgroup2 mount, no CAP_BPF, an old kernel) every client does.

State lives in the kernel, found from the cgroup: the two programs (named teu_connect4,
teu_peername4) are attached to it with BPF_F_ALLOW_MULTI, which keeps them after teu
exits (teu has no daemon); their maps are found from the programs. Each published
port is one element of teu_ports, added at start and deleted at stop with the nftables
one; the last teu to delete an element detaches both programs, and the kernel frees
them and their maps. Changes are serialized by an flock on the cgroup's directory.
Removing the cgroup detaches everything too.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import struct

from teu.network import bpf

ENV = "TEU_SOCKET_LB_CGROUP"
CONNECT, PEERNAME = "teu_connect4", "teu_peername4"
PORTS_MAX, REVNAT_MAX = 4096, 65536
KEY = "=Q4s2sH"     # netns cookie, address, port (network order), protocol
VALUE = "=4sI"      # container address, port (as ctx->user_port holds it)
CGROUP2_MAGIC = 0x63677270


def configured() -> str:
    return os.environ.get(ENV) or ""


def unavailable(path: str) -> str:
    """'' if the redirect can be used at this cgroup, else why not (one line)."""
    if not path:
        return f"{ENV} is not set"
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "cgroup.procs")):
        return f"{ENV}={path} is not a cgroup directory"
    if _fs_magic(path) != CGROUP2_MAGIC:
        return f"{ENV}={path} is not on a cgroup2 mount (cgroup v1 has no BPF hooks)"
    return ""


def _fs_magic(path: str) -> int:
    import ctypes

    buf = ctypes.create_string_buffer(120)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.statfs(path.encode(), buf) != 0:
        return 0
    return struct.unpack_from("=q", buf.raw, 0)[0]


def key(cookie: int, addr: str, port: int, proto: str = "tcp") -> bytes:
    return struct.pack(KEY, cookie, socket.inet_aton(addr), struct.pack(">H", port),
                       socket.IPPROTO_TCP if proto == "tcp" else socket.IPPROTO_UDP)


def _redirectable(m: dict) -> bool:
    host_ip = m.get("hostIP") or ""
    return m.get("protocol", "tcp") == "tcp" and bool(m.get("containerIP")) and \
        ":" not in host_ip and ":" not in m["containerIP"]


def _bound(m: dict) -> str:
    return m.get("hostIP") or "0.0.0.0"


class Attached:
    """The programs and maps at one cgroup, under its lock (a context manager)."""

    def __init__(self, path: str, create: bool) -> None:
        self.path = path
        self.create = create
        self.fds: list[int] = []
        self.progs: dict[str, int] = {}   # name -> fd
        self.ports = -1
        self.revnat = -1

    def __enter__(self) -> Attached:
        self.cgroup = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        self.fds.append(self.cgroup)
        fcntl.flock(self.cgroup, fcntl.LOCK_EX)
        try:
            self._find()
            if self.ports < 0 and self.create:
                self._attach()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        for fd in reversed(self.fds):
            os.close(fd)
        self.fds = []

    def _find(self) -> None:
        for attach_type, name in ((bpf.INET4_CONNECT, CONNECT), (bpf.INET4_GETPEERNAME,
                                                                 PEERNAME)):
            for prog_id in bpf.prog_query(self.cgroup, attach_type):
                try:
                    fd = bpf.prog_fd_by_id(prog_id)
                except bpf.BPFError:
                    continue  # detached meanwhile
                self.fds.append(fd)
                prog_name, map_ids = bpf.prog_info(fd)
                if prog_name != name:
                    continue
                self.progs[name] = fd
                if name == CONNECT:
                    for map_id in map_ids:
                        mfd = bpf.map_fd_by_id(map_id)
                        self.fds.append(mfd)
                        if bpf.map_name(mfd) == "teu_ports":
                            self.ports = mfd
                        else:
                            self.revnat = mfd

    def _attach(self) -> None:
        self.ports = bpf.map_create(bpf.MAP_HASH, struct.calcsize(KEY),
                                    struct.calcsize(VALUE), PORTS_MAX, "teu_ports")
        self.revnat = bpf.map_create(bpf.MAP_LRU_HASH, 8, 8, REVNAT_MAX, "teu_revnat")
        self.fds += [self.ports, self.revnat]
        peer = bpf.prog_load(bpf.getpeername4(self.revnat), bpf.INET4_GETPEERNAME, PEERNAME)
        conn = bpf.prog_load(bpf.connect4(self.ports, self.revnat), bpf.INET4_CONNECT,
                             CONNECT)
        self.fds += [peer, conn]
        # getpeername first: a connect redirected before it is attached would show the
        # container's address
        bpf.prog_attach(self.cgroup, peer, bpf.INET4_GETPEERNAME)
        self.progs[PEERNAME] = peer
        try:
            bpf.prog_attach(self.cgroup, conn, bpf.INET4_CONNECT)
        except BaseException:
            bpf.prog_detach(self.cgroup, peer, bpf.INET4_GETPEERNAME)
            raise
        self.progs[CONNECT] = conn

    def entries(self) -> list[bytes]:
        return bpf.map_keys(self.ports, struct.calcsize(KEY)) if self.ports >= 0 else []

    def value(self, k: bytes) -> tuple[str, int] | None:
        raw = bpf.map_lookup(self.ports, k, struct.calcsize(VALUE)) if self.ports >= 0 \
            else None
        if raw is None:
            return None
        addr, port = struct.unpack(VALUE, raw)
        return socket.inet_ntoa(addr), socket.ntohs(port)

    def detach_if_empty(self) -> None:
        if self.ports >= 0 and not self.entries():
            for name, attach_type in ((CONNECT, bpf.INET4_CONNECT),
                                      (PEERNAME, bpf.INET4_GETPEERNAME)):
                if name in self.progs:
                    try:
                        bpf.prog_detach(self.cgroup, self.progs.pop(name), attach_type)
                    except bpf.BPFError as e:
                        if e.errno != errno.ENOENT:
                            raise


def publish(mappings: list[dict]) -> str:
    """Redirect this namespace's connects to the mappings' TCP ports (each redirected
    mapping gets "socketLB": {"cgroup", "netns"} for unpublish). '' or why it is not used;
    a failure here is never fatal: the nftables DNAT serves the port either way."""
    path = configured()
    why = unavailable(path)
    wanted = [m for m in mappings if _redirectable(m)]
    if why or not wanted:
        return why
    try:
        cookie = bpf.netns_cookie()
        with Attached(path, create=True) as at:
            for m in wanted:
                value = struct.pack(VALUE, socket.inet_aton(m["containerIP"]),
                                    socket.htons(int(m["containerPort"])))
                bpf.map_update(at.ports, key(cookie, _bound(m), int(m["hostPort"])), value)
                m["socketLB"] = {"cgroup": path, "netns": cookie}
    except OSError as e:
        for m in wanted:
            m.pop("socketLB", None)
        return f"BPF is not usable here: {e.strerror or e}"
    return ""


def unpublish(mappings: list[dict]) -> None:
    """Delete the mappings' elements; detach the programs once none is left."""
    by_cgroup: dict[str, list[bytes]] = {}
    for m in mappings:
        lb = m.get("socketLB")
        if lb and m.get("protocol", "tcp") == "tcp":
            by_cgroup.setdefault(lb["cgroup"], []).append(
                key(int(lb["netns"]), _bound(m), int(m["hostPort"])))
    for path, keys in by_cgroup.items():
        try:
            with Attached(path, create=False) as at:
                if at.ports < 0:
                    continue
                for k in keys:
                    bpf.map_delete(at.ports, k)
                at.detach_if_empty()
        except FileNotFoundError:
            continue  # the cgroup is gone, and its programs with it


def state(m: dict) -> tuple[bool, str]:
    """For `teu port --explain`: (in place, the hop's text)."""
    lb = m.get("socketLB")
    if not lb:
        why = m.get("socketLBUnused") or unavailable(configured()) or "not redirectable"
        if not _redirectable(m):
            why = "only TCP to an IPv4 address is redirected"
        return True, f"not used ({why}): every client takes the DNAT below"
    bound = _bound(m)
    try:
        with Attached(lb["cgroup"], create=False) as at:
            k = key(int(lb["netns"]), bound, int(m["hostPort"]))
            value = at.value(k)
            progs = sorted(at.progs)
    except OSError as e:
        return False, f"FAILED: {lb['cgroup']}: {e.strerror or e}"
    target = f"{m['containerIP']}:{m['containerPort']}"
    if value != (m["containerIP"], int(m["containerPort"])):
        return False, (f"MISSING: no element {bound}:{m['hostPort']} -> {target} in map "
                       f"teu_ports of {lb['cgroup']}")
    if progs != [CONNECT, PEERNAME]:
        return False, f"MISSING: programs {CONNECT}, {PEERNAME} not attached to {lb['cgroup']}"
    where = "127.0.0.0/8" if bound == "0.0.0.0" else bound
    return True, (f"connect() to {where}:{m['hostPort']} from processes of cgroup "
                  f"{lb['cgroup']} in this network namespace goes straight to {target} "
                  f"(cgroup/connect4 {CONNECT}; no NAT); other clients take the DNAT below")
