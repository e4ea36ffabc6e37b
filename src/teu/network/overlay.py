"""Overlay networks: one layer-2 segment across hosts, VXLAN (or Geneve) with static peers.

    teu network create -d overlay --subnet 10.80.0.0/24 --ip-range 10.80.0.0/25 \
        -o peers=192.0.2.2,192.0.2.3 [-o vni=42] [-o encap=geneve] [-o local=IP] NAME

Every host creates the network with the same subnet, VNI and peers, and its own
--ip-range, so no two hosts hand out the same address (host-local allocates
from the range only). Each host's bridge gets its own gateway address (the
first of its range, unless --gateway says otherwise): a shared gateway address
would answer ARP from every host at once.

The tunnel is a port of the network's bridge. VXLAN: one device, `nolearning`,
an all-zeros FDB entry per peer (head-end replication of broadcasts; unicast
MACs are learnt on the bridge). Geneve devices have one remote each: one
device per peer, marked `isolated` on the bridge so that hosts never relay
each other's frames (no loops in a full mesh). The MTU is the underlay's minus
the encapsulation (50 bytes for VXLAN over IPv4, 58 for Geneve) unless given.
"""

from __future__ import annotations

import hashlib

from teu.network.config import Network, overhead
from teu.network.errors import NetworkError

VXLAN_PORT, GENEVE_PORT = 4789, 6081
UNDERLAY_MTU = 1500


def check_options(options: dict, mtu: int) -> int:
    """Validate -o peers/vni/encap/local; returns the MTU to use."""
    import ipaddress

    peers = [p for p in (options.get("peers") or "").split(",") if p]
    if not peers:
        raise NetworkError("overlay networks need -o peers=IP[,IP...] (the other hosts' "
                           "underlay addresses)")
    for p in peers + ([options["local"]] if options.get("local") else []):
        try:
            ipaddress.ip_address(p)
        except ValueError:
            raise NetworkError(f"overlay: invalid address {p!r}") from None
    encap = options.get("encap", "vxlan")
    if encap not in ("vxlan", "geneve"):
        raise NetworkError(f"overlay: unknown encap {encap!r} (vxlan or geneve)")
    if options.get("vni"):
        try:
            vni = int(options["vni"])
        except ValueError:
            vni = -1
        if not 0 < vni < 1 << 24:
            raise NetworkError(f"overlay: invalid vni {options['vni']!r} (1-16777215)")
    return mtu or UNDERLAY_MTU - overhead(encap)


def vni(net: Network) -> int:
    if net.options.get("vni"):
        return int(net.options["vni"])
    # the same on every host: derived from the name, which all hosts share
    return int.from_bytes(hashlib.sha256(net.name.encode()).digest()[:3], "big") or 1


def devices(net: Network) -> list[tuple[str, str | None]]:
    """[(device name, peer or None)]: one VXLAN device, or one Geneve device per peer."""
    peers = [p for p in (net.options.get("peers") or "").split(",") if p]
    tag = net.id[:8]
    if net.options.get("encap", "vxlan") == "geneve":
        return [(f"tgn{i}-{tag}", p) for i, p in enumerate(peers)]
    return [(f"tvx-{tag}", None)]


def setup(net: Network, bridge: str = "") -> None:
    """The tunnel device(s), ports of `bridge` (the network's, or the one being built)."""
    bridge = bridge or net.bridge
    from teu.network.attach import _ip

    peers = [p for p in (net.options.get("peers") or "").split(",") if p]
    local = net.options.get("local")
    mtu = str(net.mtu or UNDERLAY_MTU - overhead(net.options.get("encap", "vxlan")))
    for dev, peer in devices(net):
        if peer is None:
            args = ["link", "add", dev, "type", "vxlan", "id", str(vni(net)), "dstport",
                    str(VXLAN_PORT), "nolearning"]
            if local:
                args += ["local", local]
            _ip(args)
            for p in peers:
                _bridge(["fdb", "append", "00:00:00:00:00:00", "dev", dev, "dst", p])
        else:
            try:
                _ip(["link", "add", dev, "type", "geneve", "id", str(vni(net)), "remote",
                     peer])
            except NetworkError as e:
                if "Unknown device type" in str(e):
                    raise NetworkError("overlay: this kernel has no Geneve support (no geneve "
                                       "device type); -o encap=vxlan works") from None
                raise
        _ip(["link", "set", dev, "mtu", mtu, "master", bridge, "up"])
        if peer is not None:
            _ip(["link", "set", "dev", dev, "type", "bridge_slave", "isolated", "on"])
    # the bridge itself stays down: it is renamed next, and the bridge plugin brings it up


def teardown(net: Network) -> None:
    from teu.network.attach import _ip, interfaces

    present = interfaces()
    for dev, _ in devices(net):
        if dev in present:
            _ip(["link", "del", "dev", dev])


def _bridge(args: list[str]) -> None:
    import subprocess

    p = subprocess.run(["bridge", *args], capture_output=True)
    if p.returncode != 0:
        raise NetworkError(f"bridge {' '.join(args)}: "
                           f"{p.stderr.decode(errors='replace').strip()}")
