"""Networks on disk: <root>/networks/<name>.conflist (teu's own), plus the conflists of
--cni-config-dir / TEU_CNI_CONFIG_DIR (a user's, read-only, usable by name).

    <root>/networks/<name>.conflist     one per network (the default `bridge` is
                                        written on first use)
    <root>/networks/ipam/               host-local's leases (its dataDir)
    <root>/networks/results/<id>/       the CNI result cache, one file per interface
    <root>/networks/.lock               held while networks or host ports change

Subnets: the default network has 10.77.0.0/16; `network create` without --subnet
takes the first free /24 of 10.78.0.0/15, skipping every subnet another teu network
or a route of this host uses (docker's "Pool overlaps with other one").
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.network.config import DEFAULT_BRIDGE, DEFAULT_NETWORK, DEFAULT_SUBNET, Network
from teu.network.errors import NetworkError, NetworkNotFound

USER_POOL = "10.78.0.0/15"
DRIVERS = ("bridge", "overlay", "macvlan", "ipvlan")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
RESERVED = ("none", "host", "default")


class Store:
    def __init__(self, root: str, config_dirs: list[str] | None = None) -> None:
        self.root = root
        self.dir = os.path.join(root, "networks")
        self._held: _Lock | None = None
        if config_dirs is None:
            env = os.environ.get("TEU_CNI_CONFIG_DIR") or ""
            config_dirs = [d for d in env.split(":") if d]
        self.config_dirs = config_dirs

    @property
    def ipam_dir(self) -> str:
        return os.path.join(self.dir, "ipam")

    @property
    def results_dir(self) -> str:
        return os.path.join(self.dir, "results")

    def lock(self) -> _Lock:
        """The networks lock; re-entrant within one Store (flock is per open file)."""
        if self._held is None:
            self._held = _Lock(os.path.join(self.dir, ".lock"))
        return self._held

    def _file(self, name: str) -> str:
        return os.path.join(self.dir, name + ".conflist")

    # --- reading

    def get(self, ref: str) -> Network:
        """A network by name, full ID or unique ID prefix; the default one is made on demand."""
        path = self._file(ref) if ref and "/" not in ref else ""
        if path:
            try:
                with open(path, "rb") as f:
                    return Network.from_conflist(fastjson.loads(f.read()), path)
            except FileNotFoundError:
                pass
            except ValueError as e:
                raise NetworkError(f"{path}: broken network file: {e}") from None
        if ref == DEFAULT_NETWORK:
            return self._make_default()
        for net in self.user_networks():
            if net.name == ref:
                return net
        matches = [n for n in self.all() if n.id == ref or (len(ref) >= 3 and
                                                            n.id.startswith(ref))]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NetworkError(f"network {ref} is ambiguous ({len(matches)} matches found "
                               "based on ID prefix)")
        raise NetworkNotFound(f"network {ref} not found")

    def own_networks(self) -> list[Network]:
        out = []
        try:
            names = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            names = []
        for n in names:
            if n.endswith(".conflist") and not n.startswith("."):
                try:
                    out.append(self.get(n[:-9]))
                except NetworkError:
                    continue
        return out

    def user_networks(self) -> list[Network]:
        """Conflists of the CNI config dirs (broken ones are an error with file and line)."""
        out = []
        for d in self.config_dirs:
            try:
                names = sorted(os.listdir(d))
            except FileNotFoundError:
                continue
            for n in names:
                if n.endswith((".conflist", ".conf", ".json")):
                    out.append(load_user_conflist(os.path.join(d, n)))
        return out

    def all(self) -> list[Network]:
        own = self.own_networks()
        if not any(n.is_default for n in own):
            own.insert(0, self._make_default())
        names = {n.name for n in own}
        return own + [n for n in self.user_networks() if n.name not in names]

    # --- changing

    def _make_default(self) -> Network:
        import time

        from teu.network.names import network_id

        net = Network(DEFAULT_NETWORK, network_id(), bridge=DEFAULT_BRIDGE, subnet=DEFAULT_SUBNET,
                      gateway=_gateway(DEFAULT_SUBNET), created=_now(time.time()))
        with self.lock():
            try:
                with open(self._file(DEFAULT_NETWORK), "rb") as f:
                    return Network.from_conflist(fastjson.loads(f.read()))
            except (FileNotFoundError, ValueError):
                pass
            self._write(net)
        return net

    def _write(self, net: Network) -> None:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        path = self._file(net.name)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(fastjson.dumps(net.conflist(self.ipam_dir)))
        os.replace(tmp, path)

    def create(self, name: str, driver: str = "bridge", subnet: str = "", gateway: str = "",
               ip_range: str = "", subnet6: str = "", gateway6: str = "", ipv6: bool = False,
               internal: bool = False, labels: dict | None = None,
               options: dict | None = None) -> Network:
        import time

        from teu.network import subnets
        from teu.network.names import network_id

        check_name(name)
        if driver not in DRIVERS:
            raise NetworkError(f'plugin "{driver}" not found (drivers: {", ".join(DRIVERS)})')
        options = dict(options or {})
        icc = options.get("com.docker.network.bridge.enable_icc", "true").lower() != "false"
        with self.lock():
            if any(n.name == name for n in self.all()):
                raise NetworkError(f"network with name {name} already exists")
            taken = [n.subnet for n in self.all() if n.subnet] + \
                [n.subnet6 for n in self.all() if n.subnet6]
            if subnet:
                subnet = subnets.check_subnet(subnet, taken)
            else:
                subnet = subnets.free_subnet(USER_POOL, 24, taken + subnets.host_routes())
            if ip_range:
                ip_range = subnets.check_range(ip_range, subnet)
            if gateway:
                gateway = subnets.check_gateway(gateway, subnet)
            else:
                # an overlay's hosts share the subnet: each bridge its own gateway address
                gateway = _gateway(ip_range if driver == "overlay" and ip_range else subnet)
            if ipv6 or subnet6:
                subnet6 = subnets.check_subnet(subnet6, taken) if subnet6 else \
                    subnets.free_subnet("fd77::/48", 64, taken)
                gateway6 = subnets.check_gateway(gateway6, subnet6) if gateway6 \
                    else _gateway(subnet6)
            nid = network_id()
            bridge = options.get("com.docker.network.bridge.name") or f"teu-{nid[:11]}"
            mtu = int(options.get("com.docker.network.driver.mtu") or options.get("mtu") or 0)
            if driver == "overlay":
                from teu.network.overlay import check_options

                mtu = check_options(options, mtu)
            elif driver in ("macvlan", "ipvlan"):
                if not options.get("parent"):
                    raise NetworkError(f"{driver} networks need -o parent=INTERFACE")
                check_kernel_link_type(driver)
            net = Network(name, nid, driver=driver, subnet=subnet, gateway=gateway,
                          ip_range=ip_range, subnet6=subnet6, gateway6=gateway6,
                          internal=internal, icc=icc,
                          bridge=bridge if driver in ("bridge", "overlay") else "",
                          mtu=mtu, labels=dict(labels or {}), options=options,
                          created=_now(time.time()))
            self._write(net)
        from teu import journal

        journal.append(self.root, "network", "create", nid, {"name": name, "type": driver})
        return net

    def remove_file(self, net: Network) -> None:
        if net.external is not None:
            raise NetworkError(f"{net.name} is a CNI configuration of {net.source}: remove "
                               "that file instead")
        try:
            os.unlink(self._file(net.name))
        except FileNotFoundError:
            pass
        import shutil

        shutil.rmtree(os.path.join(self.ipam_dir, net.name), ignore_errors=True)
        from teu import journal

        journal.append(self.root, "network", "destroy", net.id,
                       {"name": net.name, "type": net.driver})


def check_kernel_link_type(kind: str) -> None:
    """Whether the kernel can make `kind` links, asked without making one: a link of that
    kind on loopback is refused by the driver itself (EINVAL: lo is no Ethernet parent)
    if the kernel has the driver, and by rtnetlink as an unknown type if it has not."""
    import subprocess

    p = subprocess.run(["ip", "link", "add", "link", "lo", "name", "teuprobe0", "type", kind],
                       capture_output=True, text=True)
    if p.returncode == 0:  # a kernel that took it after all: leave nothing behind
        subprocess.run(["ip", "link", "del", "teuprobe0"], capture_output=True)
    elif "Unknown device type" in p.stderr or "not supported" in p.stderr:
        raise NetworkError(f"this kernel has no {kind} support (CONFIG_{kind.upper()} is not "
                           f"set): {kind} networks cannot attach containers here")


def check_name(name: str) -> None:
    if not name or not name[0].isalnum() or not set(name) <= _NAME_CHARS or len(name) > 200:
        raise NetworkError(f"invalid network name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                           "are allowed")
    if name in RESERVED or name == DEFAULT_NETWORK:
        raise NetworkError(f"network name {name} is reserved (docker's predefined networks)")


def load_user_conflist(path: str) -> Network:
    """A .conflist (or a single-plugin .conf, wrapped) from a CNI config dir."""
    from teu.network.config import external

    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise NetworkError(f"{path}: {e.strerror}") from None
    try:
        import json

        data = json.loads(text)
    except ValueError as e:
        raise NetworkError(f"{path}: broken CNI configuration: {e}") from None
    if not isinstance(data, dict) or not data.get("name"):
        raise NetworkError(f"{path}: broken CNI configuration: no network name")
    if "plugins" not in data:
        if not data.get("type"):
            raise NetworkError(f"{path}: broken CNI configuration: no plugins and no type")
        data = {"cniVersion": data.get("cniVersion", "1.0.0"), "name": data["name"],
                "plugins": [data]}
    if not isinstance(data["plugins"], list) or not all(isinstance(p, dict) and p.get("type")
                                                         for p in data["plugins"]):
        raise NetworkError(f"{path}: broken CNI configuration: every plugin needs a type")
    return external(data, path)


def _gateway(subnet: str) -> str:
    import ipaddress

    return str(ipaddress.ip_network(subnet)[1])


def _now(t: float) -> str:
    import time

    frac = f"{t % 1:.9f}"[1:]
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + frac + "Z"


class _Lock:
    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1
        self.depth = 0

    def __enter__(self) -> _Lock:
        self.depth += 1
        if self.depth > 1:
            return self
        import fcntl

        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            os.close(self.fd)
            self.fd = -1
