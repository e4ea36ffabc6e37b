"""A network as teu keeps it: docker's view (name, ID, driver, IPAM, options) and the CNI
conflist that attaches containers to it.

teu's own networks are conflists teu writes (bridge + host-local, one subnet
per network, a bridge device per network); docker's metadata rides along under
the conflist's `teu` key, which CNI ignores. A user's conflist from
--cni-config-dir is used as it is (`external`): teu passes its plugins the
runtime config they declare (portMappings, ips, mac, bandwidth) and leaves
ports to them when one declares portMappings.
"""

from __future__ import annotations

from teu.network.cni import CNI_VERSION

DEFAULT_NETWORK = "bridge"
DEFAULT_BRIDGE = "teu0"
DEFAULT_SUBNET = "10.77.0.0/16"
VXLAN_OVERHEAD = 50  # outer IPv4 + UDP + VXLAN + inner Ethernet
GENEVE_OVERHEAD = 58


_FIELDS = {"driver": "bridge", "subnet": "", "gateway": "", "ip_range": "", "subnet6": "",
           "gateway6": "", "internal": False, "icc": True, "bridge": "", "mtu": 0,
           "labels": None, "options": None, "created": "", "external": None, "source": "",
           "bandwidth": False}


class Network:
    """driver: bridge, overlay, macvlan, ipvlan, or "cni" for a user's conflist (`external`,
    used as it is; `source` is its file). A plain class, not a dataclass: importing
    dataclasses costs ~7 ms on every `teu run`."""

    __slots__ = ("name", "id", *_FIELDS)

    def __init__(self, name: str, id: str, **kw: object) -> None:  # noqa: A002 - docker's name
        self.name = name
        self.id = id
        for key, default in _FIELDS.items():
            value = kw.pop(key, default)
            if value is None and key in ("labels", "options"):
                value = {}
            setattr(self, key, value)
        if kw:
            raise TypeError(f"unknown network fields: {sorted(kw)}")

    def with_bandwidth(self) -> Network:
        """The same network for one container with a bandwidth limit: its conflist ends
        with the CNI bandwidth plugin (tc on the host end of the veth). Only the
        containers that ask pay for that plugin's exec; the attachment's record keeps
        this conflist, so DEL and CHECK run the same list."""
        kw = {k: getattr(self, k) for k in _FIELDS}
        kw["bandwidth"] = True
        return Network(self.name, self.id, **kw)

    @property
    def ipv6(self) -> bool:
        return bool(self.subnet6)

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_NETWORK

    @property
    def resolves_names(self) -> bool:
        """docker's rule: containers find each other by name on user-defined networks."""
        return not self.is_default and self.external is None

    def ports_by_plugin(self) -> bool:
        """A plugin of the list (portmap) publishes ports itself."""
        return any((p.get("capabilities") or {}).get("portMappings")
                   for p in self.conflist()["plugins"])

    def conflist(self, ipam_dir: str = "") -> dict:
        if self.external is not None:
            return self.external
        ranges = [[_range(self.subnet, self.gateway, self.ip_range)]]
        routes = [] if self.internal else [{"dst": "0.0.0.0/0"}]
        if self.subnet6:
            ranges.append([_range(self.subnet6, self.gateway6, "")])
            if not self.internal:
                routes.append({"dst": "::/0"})
        ipam = {"type": "host-local", "ranges": ranges, "routes": routes}
        if ipam_dir:
            ipam["dataDir"] = ipam_dir
        if self.driver in ("macvlan", "ipvlan"):
            main: dict = {"type": self.driver, "master": self.options.get("parent", ""),
                          "ipam": ipam}
            mode = self.options.get(f"{self.driver}_mode")
            if mode:
                main["mode"] = mode
            if self.mtu:
                main["mtu"] = self.mtu
            if self.driver == "macvlan":
                main["capabilities"] = {"ips": True}
        else:
            main = {"type": "bridge", "bridge": self.bridge, "isGateway": True,
                    "ipMasq": False, "hairpinMode": True, "capabilities": {"ips": True,
                                                                             "mac": True},
                    "ipam": ipam}
            if self.mtu:
                main["mtu"] = self.mtu
        plugins = [main]
        if self.bandwidth:
            plugins.append({"type": "bandwidth", "capabilities": {"bandwidth": True}})
        return {"cniVersion": CNI_VERSION, "name": self.name, "plugins": plugins,
                "teu": self.metadata()}

    def metadata(self) -> dict:
        return {"id": self.id, "driver": self.driver, "subnet": self.subnet,
                "gateway": self.gateway, "ipRange": self.ip_range, "subnet6": self.subnet6,
                "gateway6": self.gateway6, "internal": self.internal, "icc": self.icc,
                "bridge": self.bridge, "mtu": self.mtu, "labels": self.labels,
                "options": self.options, "created": self.created}

    @classmethod
    def from_conflist(cls, conflist: dict, source: str = "") -> Network:
        meta = conflist.get("teu")
        if not isinstance(meta, dict):
            return external(conflist, source)
        return cls(name=conflist["name"], id=meta["id"], driver=meta.get("driver", "bridge"),
                   subnet=meta.get("subnet", ""), gateway=meta.get("gateway", ""),
                   ip_range=meta.get("ipRange", ""), subnet6=meta.get("subnet6", ""),
                   gateway6=meta.get("gateway6", ""), internal=bool(meta.get("internal")),
                   icc=meta.get("icc", True), bridge=meta.get("bridge", ""),
                   mtu=int(meta.get("mtu") or 0), labels=meta.get("labels") or {},
                   options=meta.get("options") or {}, created=meta.get("created", ""),
                   source=source)

    def inspect(self, containers: dict | None = None) -> dict:
        """docker network inspect's shape."""
        config = []
        for subnet, gateway, ip_range in ((self.subnet, self.gateway, self.ip_range),
                                          (self.subnet6, self.gateway6, "")):
            if subnet:
                entry = {"Subnet": subnet, "Gateway": gateway}
                if ip_range:
                    entry["IPRange"] = ip_range
                config.append(entry)
        options = dict(self.options)
        if self.bridge and self.driver == "bridge":
            options.setdefault("com.docker.network.bridge.name", self.bridge)
        if not self.icc:
            options["com.docker.network.bridge.enable_icc"] = "false"
        return {"Name": self.name, "Id": self.id, "Created": self.created,
                "Scope": "global" if self.driver == "overlay" else "local",
                "Driver": self.driver, "EnableIPv6": self.ipv6,
                "IPAM": {"Driver": "default", "Options": {}, "Config": config},
                "Internal": self.internal, "Attachable": False, "Ingress": False,
                "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
                "Containers": containers or {}, "Options": options, "Labels": self.labels}


def external(conflist: dict, source: str) -> Network:
    """A user's conflist as a network: subnet and gateway read from host-local if it has one."""
    import hashlib

    nid = hashlib.sha256(conflist["name"].encode()).hexdigest()
    net = Network(name=conflist["name"], id=nid, driver="cni", external=conflist, source=source)
    for p in conflist.get("plugins") or []:
        ipam = p.get("ipam") or {}
        ranges = ipam.get("ranges") or ([[{"subnet": ipam["subnet"]}]] if ipam.get("subnet")
                                        else [])
        if ranges and ranges[0]:
            net.subnet = ranges[0][0].get("subnet", "")
            net.gateway = ranges[0][0].get("gateway", "")
        if p.get("type") == "bridge" and p.get("bridge"):
            net.bridge = p["bridge"]
    return net


def _range(subnet: str, gateway: str, ip_range: str) -> dict:
    r = {"subnet": subnet}
    if gateway:
        r["gateway"] = gateway
    if ip_range:
        import ipaddress

        net = ipaddress.ip_network(ip_range)
        hosts = list(_first_last(net))
        r["rangeStart"], r["rangeEnd"] = hosts
    return r


def _first_last(net) -> tuple[str, str]:  # noqa: ANN001 - an ipaddress network
    if net.num_addresses <= 2:
        return str(net[0]), str(net[-1])
    return str(net[1]), str(net[-2])


def overhead(encap: str) -> int:
    return GENEVE_OVERHEAD if encap == "geneve" else VXLAN_OVERHEAD
