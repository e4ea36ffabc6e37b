"""The network flags of run/create -> docker's settings (HostConfig, Config, NetworkingConfig).

    --network NAME (repeatable; bridge is the default: $TEU_NETWORK or teu.conf's
    `network` change it), --ip, --ip6, --mac-address, --network-alias,
    --add-host HOST:IP|host-gateway, --dns, --dns-search, --dns-option,
    -p/--publish, -P/--publish-all, --expose,
    --ingress-bandwidth RATE, --egress-bandwidth RATE (bits per second: 10M, 1.5G, 500k;
    the CNI bandwidth plugin's runtime config, as Kubernetes' bandwidth annotations)

Only the grammar is checked here (no disk): that the networks exist, that an IP
fits its subnet, is checked by teu.network.attach.validate at create.
"""

from __future__ import annotations

from teu.engine.errors import InvalidArgument

SPECIAL = ("none", "host")


def _list(opts: dict, key: str) -> list:
    value = opts.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def parse(opts: dict, default: str = "bridge") -> tuple[dict, dict, dict]:
    """(HostConfig fields, Config fields, NetworkingConfig); `default`: the network when
    no --network is given."""
    nets = [n for n in _list(opts, "network") if n]
    nets = ["bridge" if n == "default" else n for n in nets] or [default]
    if nets[0] == "default":
        nets[0] = "bridge"
    mode = nets[0]
    special = mode in SPECIAL or mode.startswith("container:")
    if special and len(nets) > 1:
        raise InvalidArgument("conflicting options: cannot attach both user-defined and "
                              "non-user-defined network-modes")
    if mode.startswith("container:") and not mode.partition(":")[2]:
        raise InvalidArgument("--network container: needs a container name or ID")
    endpoint: dict = {}
    ipam = {}
    for key, flag in (("IPv4Address", "ip"), ("IPv6Address", "ip6")):
        if opts.get(flag):
            ipam[key] = opts[flag]
    if ipam:
        endpoint["IPAMConfig"] = ipam
    aliases = _list(opts, "network_alias")
    if aliases:
        endpoint["Aliases"] = aliases
    mac = opts.get("mac_address") or ""
    if mac:
        _check_mac(mac)
        endpoint["MacAddress"] = mac
    if special and (ipam or aliases or mac):
        raise InvalidArgument(f"conflicting options: --ip, --mac-address and --network-alias "
                              f"need a network, not --network {mode}")
    for flag in ("dns", "dns_search", "dns_option", "add_host"):
        if mode.startswith("container:") and opts.get(flag):
            raise InvalidArgument(f"conflicting options: --{flag.replace('_', '-')} and the "
                                  "network mode")
    extra_hosts = [_extra_host(h) for h in _list(opts, "add_host")]
    host = {"NetworkMode": mode, "Dns": _list(opts, "dns"), "DnsSearch": _list(opts,
                                                                               "dns_search"),
            "DnsOptions": _list(opts, "dns_option"), "ExtraHosts": extra_hosts,
            "PortBindings": {}, "PublishAllPorts": bool(opts.get("publish_all"))}
    config: dict = {}
    publish = _list(opts, "publish")
    expose = _list(opts, "expose")
    if publish or expose:
        from teu.network import ports
        from teu.network.errors import NetworkError

        try:
            bindings = ports.parse_all(publish)
            exposed = ports.parse_expose(expose)
        except NetworkError as e:
            raise InvalidArgument(str(e)) from None
        if mode != "host":
            host["PortBindings"] = bindings
        elif bindings:
            import sys

            print("WARNING: Published ports are discarded when using host network mode",
                  file=sys.stderr)
        exposed.update({k: {} for k in bindings})
        config["ExposedPorts"] = exposed
    if mac:
        config["MacAddress"] = mac
    networking = {"EndpointsConfig": {n: (dict(endpoint) if i == 0 else {})
                                      for i, n in enumerate(nets)}} if not special else {}
    return host, config, networking


def _check_mac(mac: str) -> None:
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p)
                                  for p in parts):
        raise InvalidArgument(f"invalid MAC address: {mac}")


def _extra_host(item: str) -> str:
    host, sep, addr = item.partition(":")
    if not sep:
        host, sep, addr = item.partition("=")
    if not sep or not host or not addr:
        raise InvalidArgument(f"invalid argument {item!r} for \"--add-host\" flag: bad "
                              "format for add-host")
    if addr != "host-gateway":
        import ipaddress

        try:
            ipaddress.ip_address(addr.strip("[]"))
        except ValueError:
            raise InvalidArgument(f"invalid IP address in add-host: {addr!r}") from None
    return f"{host}:{addr}"


_RATE_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def rate(value: str, flag: str) -> int:
    """Bits per second from 10M, 1.5G, 500k, 8mbit, 1000 (decimal units, as tc and
    Kubernetes' bandwidth annotations count)."""
    text = str(value).strip().lower().removesuffix("bit").removesuffix("bps")
    unit = text[-1] if text and text[-1] in _RATE_UNITS else ""
    try:
        number = float(text[:-1] if unit else text)
    except ValueError:
        number = -1.0
    bits = int(number * _RATE_UNITS[unit]) if number == number else -1
    if bits < 1000 or bits >= 2**32 * 8:
        raise InvalidArgument(f'invalid argument "{value}" for "{flag}" flag: a rate in bits '
                              "per second from 1k to 34T (10M, 1.5G, 500k)")
    return bits


def bandwidth(opts: dict, mode: str) -> dict:
    """The bandwidth plugin's runtime config ({} without the flags): ingress is traffic to
    the container, egress from it. The burst is a tenth of a second at the rate (at least
    64 KiB: a TCP window passes without stalls)."""
    out = {}
    for key, flag in (("ingress", "ingress_bandwidth"), ("egress", "egress_bandwidth")):
        if opts.get(flag):
            bits = rate(opts[flag], "--" + flag.replace("_", "-"))
            out[f"{key}Rate"] = bits
            out[f"{key}Burst"] = max(bits // 10, 64 * 1024 * 8)
    if out and (mode in SPECIAL or mode.startswith("container:")):
        raise InvalidArgument(f"conflicting options: bandwidth limits need a network of the "
                              f"container's own, not --network {mode}")
    return out
