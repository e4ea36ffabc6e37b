"""The loopback fast path of published TCP ports: a connection from this host's
127.0.0.1 to 127.0.0.1:HOSTPORT (or [::1] to [::1]:HOSTPORT) is translated by two tc
programs (teu.network.fastpath_programs) instead of netfilter's DNAT, and its frames go
straight between the host's loopback and the container's veth, past the bridge and the
host's routing: the path costs about what a veth alone does (docs/benchmarks.md). For
[::1] it is the only path: the kernel's DNAT cannot reach a container from ::1.

Where it applies: TCP ports published on every address (-p 8080:80), on 127.0.0.1 (or
0.0.0.0: IPv4 only) or on ::1 (or ::: IPv6 only, a dual-stack network's), of a
container's first network (its default route: the container's replies to the fast
path's client address must leave through that veth), a bridge network that is not
--internal and has no bandwidth limit (the path skips the veth's ingress qdisc), from a
client whose socket is 127.0.0.1 -> 127.0.0.1 ([::1] -> [::1]). Every other client
(another local address, another machine, a container: hairpin) takes the kernel's DNAT
as before. The nftables side is one set, `fastpath` of `table ip teu` (and of `ip6 teu`)
(teu.network.nft): its ports' loopback connections are not DNATed by dnat_out, so they
reach loopback's egress, where the program is.

State lives in the kernel, found from the loopback device (teu has no daemon): LO_OUT is
attached to lo's tcx egress (one per network namespace), VETH_IN to the tcx ingress of
the host end of each container's veth (gone with the veth); both use two maps (PORTS,
PORTS6), found from LO_OUT. Each published port is an element in each family it serves,
added before its nftables `fastpath` element and deleted after it, so a connection is
never sent to loopback's egress without its translation; the last teu to delete an
element detaches LO_OUT and the kernel frees the programs and the maps once the veths
are gone. Changes are serialized by an flock on the network namespace
(/proc/self/ns/net: one inode per namespace). Every attach and detach of a tcx program
waits for an RCU grace period in the kernel (~10 ms here): a `-p` container's start pays
one (VETH_IN), the first and the last of a namespace one more each (LO_OUT).

Off with TEU_PORT_FASTPATH=0; if BPF or tcx (Linux 6.6) is not there, the mapping says
why and the DNAT serves every client.
"""
from __future__ import annotations

# the C module: socket.py's enums cost ~10 ms of a `teu run -p`'s import time
import _socket as socket
import errno
import fcntl
import os
import struct

from teu.network import bpf
from teu.network import fastpath_programs as progs

ENV = "TEU_PORT_FASTPATH"
LO_OUT, VETH_IN = "teu_lo_out", "teu_veth_in"
PORTS, PORTS6 = "teu_fastports", "teu_fastports6"
PORTS_MAX = 4096
# A reply put into loopback by VETH_IN has no route attached (a local socket's packets
# have theirs): the kernel routes it again, and drops 127.0.0.1 -> 127.0.0.1 arriving
# that way unless loopback itself allows it. These two settings of lo alone (not of
# any other device, and lo receives only what this host sends) are turned on while the
# fast path is in place.
SYSCTLS = ("route_localnet", "accept_local")


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def families(m: dict) -> list[int]:
    """The families whose loopback clients this mapping's fast path serves: 4 for a TCP
    port on every address or 127.0.0.1 (to its containerIP), 6 for one on every
    address, :: or ::1 (to its containerIP6, a dual-stack network's)."""
    if m.get("protocol", "tcp") != "tcp":
        return []
    host_ip = m.get("hostIP") or ""
    out = []
    if m.get("containerIP") and ":" not in m["containerIP"] and \
            host_ip in ("", "0.0.0.0", "127.0.0.1"):
        out.append(4)
    if m.get("containerIP6") and host_ip in ("", "::", "::1"):
        out.append(6)
    return out


def eligible(m: dict) -> bool:
    return bool(families(m))


class Loopback(bpf.Held):
    """LO_OUT and its maps in this network namespace, under the namespace's lock."""

    def __init__(self, create: bool) -> None:
        super().__init__()
        self.create = create
        self.prog = -1
        self.ports = self.ports6 = -1

    def __enter__(self) -> Loopback:
        lock = self._keep(os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC))
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._find()
            if self.create and self.prog < 0:
                self._attach()
        except BaseException:
            self._close()
            raise
        return self

    def _find(self) -> None:
        for prog_id in bpf.prog_query(progs.LOOPBACK_IFINDEX, bpf.TCX_EGRESS):
            try:
                fd = self._keep(bpf.prog_fd_by_id(prog_id))
            except bpf.BPFError:
                continue  # detached meanwhile
            name, map_ids = bpf.prog_info(fd)
            if name != LO_OUT:
                continue
            maps = {}
            for map_id in map_ids:
                mfd = self._keep(bpf.map_fd_by_id(map_id))
                maps[bpf.map_name(mfd)] = mfd
            if PORTS in maps and PORTS6 in maps:
                self.prog, self.ports, self.ports6 = fd, maps[PORTS], maps[PORTS6]
                return

    def _attach(self) -> None:
        ports = self._keep(bpf.map_create(bpf.MAP_HASH, struct.calcsize(progs.KEY),
                                          struct.calcsize(progs.VALUE), PORTS_MAX, PORTS))
        ports6 = self._keep(bpf.map_create(bpf.MAP_HASH, struct.calcsize(progs.KEY6),
                                           struct.calcsize(progs.VALUE6), PORTS_MAX, PORTS6))
        prog = self._keep(bpf.prog_load(progs.lo_out(ports, ports6), 0, LO_OUT,
                                        bpf.PROG_SCHED_CLS))
        # which of loopback's settings teu turns on (and off again at the end): in the
        # element of port 0, which no connection has
        turned = [name for name in SYSCTLS if _sysctl(name) == "0"]
        bpf.map_update(ports, progs.key(0), struct.pack(
            progs.VALUE, b"\0" * 4, 0, 0, sum(1 << SYSCTLS.index(n) for n in turned), 0,
            b"\0" * 6, b"\0" * 6))
        # attached first: a teu killed after it leaves a program that the next teu's
        # detach_if_empty finds (and the settings with it); nothing is steered to the
        # program before its port's nftables element, added after all this
        bpf.tcx_attach(progs.LOOPBACK_IFINDEX, prog, bpf.TCX_EGRESS)
        self.prog, self.ports, self.ports6 = prog, ports, ports6
        for name in turned:
            _sysctl(name, "1")

    def sweep(self) -> None:
        """Delete the elements whose veth is gone: a teu killed after adding them and
        before saving its record leaves them, and the container's removal takes the veth
        (this namespace's ifindexes are not reused)."""
        for fd, kfmt, vfmt in ((self.ports, progs.KEY, progs.VALUE),
                               (self.ports6, progs.KEY6, progs.VALUE6)):
            for k in bpf.map_keys(fd, struct.calcsize(kfmt)):
                raw = bpf.map_lookup(fd, k, struct.calcsize(vfmt)) \
                    if k != progs.key(0) else None
                if raw is None:
                    continue
                try:
                    socket.if_indextoname(struct.unpack(vfmt, raw)[3])
                except OSError:
                    bpf.map_delete(fd, k)

    def attach_veth(self, ifindex: int) -> None:
        """VETH_IN on the veth's host end (once: it may already be there)."""
        for prog_id in bpf.prog_query(ifindex, bpf.TCX_INGRESS):
            try:
                fd = self._keep(bpf.prog_fd_by_id(prog_id))
            except bpf.BPFError:
                continue
            if bpf.prog_info(fd)[0] == VETH_IN:
                return
        prog = self._keep(bpf.prog_load(progs.veth_in(self.ports, self.ports6), 0, VETH_IN,
                                        bpf.PROG_SCHED_CLS))
        bpf.tcx_attach(ifindex, prog, bpf.TCX_INGRESS)

    def value(self, host_port: int) -> bytes | None:
        return bpf.map_lookup(self.ports, progs.key(host_port),
                              struct.calcsize(progs.VALUE))

    def value6(self, host_port: int) -> bytes | None:
        return bpf.map_lookup(self.ports6, progs.key6(host_port),
                              struct.calcsize(progs.VALUE6))

    def detach_if_empty(self) -> None:
        if self.prog < 0:
            return
        keys = bpf.map_keys(self.ports, struct.calcsize(progs.KEY))
        if [k for k in keys if k != progs.key(0)] or \
                bpf.map_keys(self.ports6, struct.calcsize(progs.KEY6)):
            return
        turned = self.value(0)
        try:
            bpf.tcx_detach(progs.LOOPBACK_IFINDEX, self.prog, bpf.TCX_EGRESS)
        except bpf.BPFError as e:
            if e.errno != errno.ENOENT:
                raise
        self.prog = -1
        mask = struct.unpack(progs.VALUE, turned)[3] if turned else 0
        for i, name in enumerate(SYSCTLS):
            if mask & (1 << i):
                _sysctl(name, "0")


def _sysctl(name: str, value: str | None = None) -> str:
    path = f"/proc/sys/net/ipv4/conf/lo/{name}"
    if value is None:
        with open(path) as f:
            return f.read().strip()
    with open(path, "w") as f:
        f.write(value)
    return value


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def publish(mappings: list[dict], result: dict, veth: str) -> str:
    """Add the eligible mappings' elements (each gets "fastPath": {"veth", "ifindex",
    "families"}).
    `result`: the network's CNI result (the bridge's and the container's MACs); `veth`:
    the host end. '' or why it is not used; never fatal: the DNAT serves the port."""
    wanted = [m for m in mappings if eligible(m)]
    if not enabled() or not wanted:
        return "" if enabled() else f"{ENV}=0"
    ifaces = result.get("interfaces") or []
    bridge_mac = ifaces[0].get("mac", "") if ifaces else ""
    ctr_mac = next((i.get("mac", "") for i in ifaces if i.get("sandbox")), "")
    if not (veth and bridge_mac and ctr_mac):
        return "the network's result names no bridge, veth and container interface"
    try:
        ifindex = socket.if_nametoindex(veth)
        with Loopback(create=True) as lo:
            lo.attach_veth(ifindex)
            try:
                for m in wanted:
                    _add(lo, m, ifindex, _mac(ctr_mac), _mac(bridge_mac))
                    m["fastPath"] = {"veth": veth, "ifindex": ifindex,
                                     "families": families(m)}
            except OSError:  # a full map: none of them, and LO_OUT only if it had others
                for m in wanted:
                    _delete(lo, m)
                lo.detach_if_empty()
                raise
    except OSError as e:
        for m in wanted:
            m.pop("fastPath", None)
        return f"BPF/tcx is not usable here: {e.strerror or e}"
    return ""


def unpublish(mappings: list[dict]) -> None:
    """Delete the mappings' elements (after their nftables `fastpath` elements); detach
    LO_OUT once none is left."""
    served = [m for m in mappings if m.get("fastPath")]
    if not served:
        return
    with Loopback(create=False) as lo:
        if lo.prog < 0:
            return  # detached already
        for m in served:
            _delete(lo, m)
        lo.detach_if_empty()


def _add(lo: Loopback, m: dict, ifindex: int, ctr_mac: bytes, bridge_mac: bytes) -> None:
    port, cport = int(m["hostPort"]), int(m["containerPort"])
    if 4 in families(m):
        bpf.map_update(lo.ports, progs.key(port), progs.value(
            m["containerIP"], cport, ifindex, port, ctr_mac, bridge_mac))
    if 6 in families(m):
        bpf.map_update(lo.ports6, progs.key6(port), progs.value6(
            m["containerIP6"], cport, ifindex, port, ctr_mac, bridge_mac))


def _delete(lo: Loopback, m: dict) -> None:
    """The mapping's elements, those of the families it serves (an element that is not
    there is no error)."""
    port = int(m["hostPort"])
    if 4 in families(m):
        bpf.map_delete(lo.ports, progs.key(port))
    if 6 in families(m):
        bpf.map_delete(lo.ports6, progs.key6(port))


def tidy() -> None:
    """After a container's veths are gone: stale elements go (see Loopback.sweep), and
    LO_OUT with them if none is left. Nothing to do where BPF or tcx is not there."""
    try:
        with Loopback(create=False) as lo:
            if lo.prog >= 0:
                lo.sweep()
                lo.detach_if_empty()
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOSYS, errno.EINVAL):
            raise


def state(m: dict) -> tuple[bool, str]:
    """For `teu port --explain`: (in place, the hop's text)."""
    fp = m.get("fastPath")
    if not fp:
        why = m.get("fastPathUnused") or ("" if enabled() else f"{ENV}=0")
        if not eligible(m):
            why = "TCP on every address, 127.0.0.1 or [::1] only"
        return True, f"not used{f' ({why})' if why else ''}: every client takes the DNAT"
    port = int(m["hostPort"])
    try:
        with Loopback(create=False) as lo:
            attached = lo.prog >= 0
            raw = {4: lo.value(port), 6: lo.value6(port)} if attached else {}
    except OSError as e:
        return False, f"FAILED: {e.strerror or e}"
    if not attached:
        return False, f"MISSING: program {LO_OUT} is not attached to lo's tc egress"
    texts = []
    for family in fp.get("families", [4]):
        if raw.get(family) is None:
            return False, (f"MISSING: no element for port {port} in map "
                           f"{PORTS if family == 4 else PORTS6}")
        if family == 4:
            ip, cport, _, ifindex, _, _, _ = struct.unpack(progs.VALUE, raw[4])
            target, want = (f"{socket.inet_ntoa(ip)}:{socket.ntohs(cport)}",
                            f"{m['containerIP']}:{m['containerPort']}")
            path = (f"127.0.0.1 -> 127.0.0.1:{port} -> {target} from "
                    f"{socket.inet_ntoa(progs.snat_address(port))}")
        else:
            ip, cport, _, ifindex, _, _, _ = struct.unpack(progs.VALUE6, raw[6])
            addr6 = socket.inet_ntop(socket.AF_INET6, ip)
            target, want = (f"[{addr6}]:{socket.ntohs(cport)}",
                            f"[{m['containerIP6']}]:{m['containerPort']}")
            snat6 = socket.inet_ntop(socket.AF_INET6, progs.snat6_address(port))
            path = f"[::1] -> [::1]:{port} -> {target} from {snat6}"
        if target != want:
            return False, f"WRONG: the fast path sends port {port} to {target}, not {want}"
        texts.append(path)
    return True, (f"TCP {'; '.join(texts)}: tc program {LO_OUT} (lo egress) straight to "
                  f"veth {fp['veth']} (ifindex {fp['ifindex']}), replies by {VETH_IN} "
                  "(its ingress) back into lo; no DNAT, no bridge")
