"""Published ports without per-packet NAT for this host's own clients: a cgroup/connect4
program (connect6 for IPv6) rewrites a connect() to a published TCP or UDP port into a
connect() to the container's address, cgroup/sendmsg4,6 the same for a UDP sendto()
(what Cilium's socket LB and kube-proxy-free Kubernetes do), so the kernel's DNAT,
conntrack NAT and re-routing of every packet are skipped; cgroup/getpeername4,6 and
recvmsg4,6 make the socket report the address it asked for (teu.network.bpf has them all).

Opt-in: TEU_SOCKET_LB_CGROUP names a cgroup v2 directory (the root of a pure cgroup v2
host, /sys/fs/cgroup, for every process of the machine; a smaller one to limit it). The
programs see the processes of that cgroup and its descendants; they rewrite only sockets
of the network namespace whose port it is (the key holds its netns cookie), so other
namespaces, containers included, and other ports pass untouched. The nftables DNAT
elements stay in place beside it: a client outside that cgroup or namespace, another
machine, a host address that is not the bound
one (a wildcard binding is redirected for 127.0.0.0/8 and ::1) take the kernel's DNAT
as before, and if BPF cannot be used (no cgroup2 mount, no CAP_BPF, an old kernel)
every client does. For [::1] there is no DNAT (the kernel has no IPv6
route_localnet), so [::1]:PORT works for redirected clients only.

State lives in the kernel, found from the cgroup: the eight programs (PROGRAMS) are
attached to it with BPF_F_ALLOW_MULTI, which keeps them after teu exits (teu has no
daemon); their maps are found from the programs. Each published port is one element of
teu_ports (teu_ports6), added at start and deleted at stop with the nftables one; the
last teu to delete an element detaches the programs, and the kernel frees them and
their maps. Changes are serialized by an flock on the cgroup's directory. Removing the
cgroup detaches everything too.
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
CONNECT6, PEERNAME6 = "teu_connect6", "teu_peername6"
SENDMSG, RECVMSG = "teu_sendmsg4", "teu_recvmsg4"
SENDMSG6, RECVMSG6 = "teu_sendmsg6", "teu_recvmsg6"
# (name, attach type), in the order they are attached: getpeername and recvmsg first, so
# that nothing is redirected before its socket can report the address it asked for
PROGRAMS = ((PEERNAME, bpf.INET4_GETPEERNAME), (PEERNAME6, bpf.INET6_GETPEERNAME),
            (RECVMSG, bpf.UDP4_RECVMSG), (RECVMSG6, bpf.UDP6_RECVMSG),
            (CONNECT, bpf.INET4_CONNECT), (CONNECT6, bpf.INET6_CONNECT),
            (SENDMSG, bpf.UDP4_SENDMSG), (SENDMSG6, bpf.UDP6_SENDMSG))
PORTS_MAX, REVNAT_MAX = 4096, 65536
KEY = "=Q4s2sH"     # netns cookie, address, port (network order), protocol
VALUE = "=4sI"      # container address, port (as ctx->user_port holds it)
KEY6, VALUE6 = "=Q16s2sH", "=16sI"
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
    p = socket.IPPROTO_TCP if proto == "tcp" else socket.IPPROTO_UDP
    if ":" in addr:
        return struct.pack(KEY6, cookie, socket.inet_pton(socket.AF_INET6, addr),
                           struct.pack(">H", port), p)
    return struct.pack(KEY, cookie, socket.inet_aton(addr), struct.pack(">H", port), p)


def _redirectable(m: dict) -> bool:
    host_ip = m.get("hostIP") or ""
    return m.get("protocol", "tcp") in ("tcp", "udp") and bool(m.get("containerIP")) and \
        ":" not in host_ip and ":" not in m["containerIP"]


def _redirectable6(m: dict) -> bool:
    host_ip = m.get("hostIP") or ""
    return m.get("protocol", "tcp") in ("tcp", "udp") and bool(m.get("containerIP6")) and \
        (not host_ip or ":" in host_ip)


def _bound(m: dict) -> str:
    return m.get("hostIP") or "0.0.0.0"


def _bound6(m: dict) -> str:
    return m.get("hostIP") or "::"


def _elements(m: dict, cookie: int) -> list[tuple[int, bytes, bytes]]:
    """(family, key, value) of each element a mapping gets."""
    out = []
    if _redirectable(m):
        out.append((4, key(cookie, _bound(m), int(m["hostPort"]), m.get("protocol", "tcp")),
                    struct.pack(VALUE, socket.inet_aton(m["containerIP"]),
                                socket.htons(int(m["containerPort"])))))
    if _redirectable6(m):
        out.append((6, key(cookie, _bound6(m), int(m["hostPort"]), m.get("protocol", "tcp")),
                    struct.pack(VALUE6, socket.inet_pton(socket.AF_INET6, m["containerIP6"]),
                                socket.htons(int(m["containerPort"])))))
    return out


class Attached(bpf.Held):
    """The programs and maps at one cgroup, under its lock (a context manager)."""

    def __init__(self, path: str, create: bool) -> None:
        super().__init__()
        self.path = path
        self.create = create
        self.progs: dict[str, int] = {}   # name -> fd
        self.maps: dict[str, int] = {}    # name -> fd

    def __enter__(self) -> Attached:
        self.cgroup = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        self.fds.append(self.cgroup)
        fcntl.flock(self.cgroup, fcntl.LOCK_EX)
        try:
            self._find()
            if self.create and sorted(self.progs) != sorted(n for n, _ in PROGRAMS):
                # none yet, or a partial set (a teu of before IPv6): a new set, which
                # takes over the old set's elements
                kept = self._elements()
                self._detach_all()
                self._attach()
                for name, k, v in kept:
                    bpf.map_update(self.maps[name], k, v)
        except BaseException:
            self._close()
            raise
        return self

    def _find(self) -> None:
        for name, attach_type in PROGRAMS:
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
                for map_id in map_ids:
                    mfd = bpf.map_fd_by_id(map_id)
                    self.fds.append(mfd)
                    self.maps.setdefault(bpf.map_name(mfd), mfd)

    @property
    def ports(self) -> int:
        return self.maps.get("teu_ports", -1)

    @property
    def ports6(self) -> int:
        return self.maps.get("teu_ports6", -1)

    def _attach(self) -> None:
        for name, ksize, vsize, kind, size in (
                ("teu_ports", struct.calcsize(KEY), struct.calcsize(VALUE), bpf.MAP_HASH,
                 PORTS_MAX),
                ("teu_revnat", 8, 8, bpf.MAP_LRU_HASH, REVNAT_MAX),
                ("teu_ports6", struct.calcsize(KEY6), struct.calcsize(VALUE6), bpf.MAP_HASH,
                 PORTS_MAX),
                ("teu_revnat6", 8, struct.calcsize(VALUE6), bpf.MAP_LRU_HASH, REVNAT_MAX),
                ("teu_revnat_udp4", 16, 8, bpf.MAP_LRU_HASH, REVNAT_MAX),
                ("teu_revnat_udp6", 28, struct.calcsize(VALUE6), bpf.MAP_LRU_HASH,
                 REVNAT_MAX)):
            self.maps[name] = bpf.map_create(kind, ksize, vsize, size, name)
            self.fds.append(self.maps[name])
        m = self.maps
        code = {PEERNAME: bpf.getpeername4(m["teu_revnat"]),
                PEERNAME6: bpf.getpeername6(m["teu_revnat6"]),
                CONNECT: bpf.connect4(m["teu_ports"], m["teu_revnat"]),
                CONNECT6: bpf.connect6(m["teu_ports6"], m["teu_revnat6"]),
                RECVMSG: bpf.recvmsg4(m["teu_revnat_udp4"]),
                SENDMSG: bpf.sendmsg4(m["teu_ports"], m["teu_revnat_udp4"]),
                RECVMSG6: bpf.recvmsg6(m["teu_revnat_udp6"]),
                SENDMSG6: bpf.sendmsg6(m["teu_ports6"], m["teu_revnat_udp6"])}
        loaded = {}
        for name, attach_type in PROGRAMS:
            loaded[name] = bpf.prog_load(code[name], attach_type, name)
            self.fds.append(loaded[name])
        try:
            for name, attach_type in PROGRAMS:
                bpf.prog_attach(self.cgroup, loaded[name], attach_type)
                self.progs[name] = loaded[name]
        except BaseException:
            self._detach_all()
            raise

    def _detach_all(self) -> None:
        for name, attach_type in reversed(PROGRAMS):
            if name in self.progs:
                try:
                    bpf.prog_detach(self.cgroup, self.progs.pop(name), attach_type)
                except bpf.BPFError as e:
                    if e.errno != errno.ENOENT:
                        raise
        self.maps = {}

    def _elements(self) -> list[tuple[str, bytes, bytes]]:
        out = []
        for name, kfmt, vfmt in (("teu_ports", KEY, VALUE), ("teu_ports6", KEY6, VALUE6)):
            fd = self.maps.get(name, -1)
            for k in bpf.map_keys(fd, struct.calcsize(kfmt)) if fd >= 0 else []:
                v = bpf.map_lookup(fd, k, struct.calcsize(vfmt))
                if v is not None:
                    out.append((name, k, v))
        return out

    def entries(self) -> list[bytes]:
        out = []
        for fd, fmt in ((self.ports, KEY), (self.ports6, KEY6)):
            if fd >= 0:
                out += bpf.map_keys(fd, struct.calcsize(fmt))
        return out

    def value(self, k: bytes) -> tuple[str, int] | None:
        v6 = len(k) == struct.calcsize(KEY6)
        fd, fmt = (self.ports6, VALUE6) if v6 else (self.ports, VALUE)
        raw = bpf.map_lookup(fd, k, struct.calcsize(fmt)) if fd >= 0 else None
        if raw is None:
            return None
        addr, port = struct.unpack(fmt, raw)
        text = socket.inet_ntop(socket.AF_INET6, addr) if v6 else socket.inet_ntoa(addr)
        return text, socket.ntohs(port)

    def detach_if_empty(self) -> None:
        if self.progs and not self.entries():
            self._detach_all()


def publish(mappings: list[dict]) -> str:
    """Redirect this namespace's connects to the mappings' TCP ports (each redirected
    mapping gets "socketLB": {"cgroup", "netns"} for unpublish). '' or why it is not used;
    a failure here is never fatal: the nftables DNAT serves the port either way."""
    path = configured()
    why = unavailable(path)
    wanted = [m for m in mappings if _redirectable(m) or _redirectable6(m)]
    if why or not wanted:
        return why
    try:
        cookie = bpf.netns_cookie()
        with Attached(path, create=True) as at:
            for m in wanted:
                for family, k, v in _elements(m, cookie):
                    bpf.map_update(at.ports6 if family == 6 else at.ports, k, v)
                m["socketLB"] = {"cgroup": path, "netns": cookie}
    except OSError as e:
        for m in wanted:
            m.pop("socketLB", None)
        return f"BPF is not usable here: {e.strerror or e}"
    return ""


def unpublish(mappings: list[dict]) -> None:
    """Delete the mappings' elements; detach the programs once none is left."""
    by_cgroup: dict[str, list[tuple[int, bytes]]] = {}
    for m in mappings:
        lb = m.get("socketLB")
        if lb:
            by_cgroup.setdefault(lb["cgroup"], []).extend(
                (family, k) for family, k, _ in _elements(m, int(lb["netns"])))
    for path, keys in by_cgroup.items():
        try:
            with Attached(path, create=False) as at:
                for family, k in keys:
                    fd = at.ports6 if family == 6 else at.ports
                    if fd >= 0:
                        bpf.map_delete(fd, k)
                at.detach_if_empty()
        except FileNotFoundError:
            continue  # the cgroup is gone, and its programs with it


def state(m: dict) -> tuple[bool, str]:
    """For `teu port --explain`: (in place, the hop's text)."""
    lb = m.get("socketLB")
    if not lb:
        why = m.get("socketLBUnused") or unavailable(configured()) or "not redirectable"
        if not (_redirectable(m) or _redirectable6(m)):
            why = "only TCP and UDP are redirected"
        return True, f"not used ({why}): every client takes the hops below"
    texts = []
    try:
        with Attached(lb["cgroup"], create=False) as at:
            found = [(k, v, at.value(k)) for _, k, v in _elements(m, int(lb["netns"]))]
            progs = sorted(at.progs)
    except OSError as e:
        return False, f"FAILED: {lb['cgroup']}: {e.strerror or e}"
    if progs != sorted(n for n, _ in PROGRAMS):
        return False, (f"MISSING: programs {', '.join(n for n, _ in PROGRAMS)} not all "
                       f"attached to {lb['cgroup']}")
    port = m["hostPort"]
    udp = ("; UDP: sendto() too (cgroup/sendmsg4,6, recvmsg4,6)"
           if m.get("protocol") == "udp" else "")
    for k, _, value in found:
        v6 = len(k) == struct.calcsize(KEY6)
        bound, target_ip = (_bound6(m), m.get("containerIP6")) if v6 else \
            (_bound(m), m["containerIP"])
        target = f"[{target_ip}]:{m['containerPort']}" if v6 else \
            f"{target_ip}:{m['containerPort']}"
        if value != (target_ip, int(m["containerPort"])):
            return False, (f"MISSING: no element {bound} port {port} -> {target} in map "
                           f"teu_ports{'6' if v6 else ''} of {lb['cgroup']}")
        if v6:
            texts.append(f"[::1]:{port} -> {target}" if bound == "::"
                         else f"[{bound}]:{port} -> {target}")
        else:
            texts.append(f"127.0.0.0/8:{port} -> {target}" if bound == "0.0.0.0"
                         else f"{bound}:{port} -> {target}")
    return True, (f"connect() from processes of cgroup {lb['cgroup']} in this network "
                  f"namespace goes straight to the container: {', '.join(texts)} "
                  f"(cgroup/connect4,6 programs teu_connect4, teu_connect6; no NAT{udp}); "
                  "other clients take the hops below")
