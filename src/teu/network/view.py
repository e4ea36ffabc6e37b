"""What inspect shows: a container's NetworkSettings, a network's Containers (docker's shapes),
read from the attachment records (teu.network.cni.Cache)."""

from __future__ import annotations

from teu.network import cni
from teu.network.store import Store

_EMPTY_ENDPOINT = {"IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": "",
                   "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
                   "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
                   "MacAddress": "", "DriverOpts": None}


def endpoint(rec: dict) -> dict:
    """One record -> docker's Networks.NAME entry."""
    result = rec.get("result") or {}
    extra = rec.get("teu") or {}
    out = dict(_EMPTY_ENDPOINT)
    out.update(NetworkID=extra.get("networkId", ""), Aliases=(extra.get("aliases") or None),
               IPAMConfig=extra.get("ipam") or None,
               EndpointID=(rec["containerId"] + rec["ifName"]).encode().hex()[:64])
    ifaces = result.get("interfaces") or []
    for ip in result.get("ips") or []:
        addr, _, prefix = ip["address"].partition("/")
        if ":" in addr:
            out.update(GlobalIPv6Address=addr, GlobalIPv6PrefixLen=int(prefix or 128),
                       IPv6Gateway=ip.get("gateway", ""))
        elif not out["IPAddress"]:
            out.update(IPAddress=addr, IPPrefixLen=int(prefix or 32),
                       Gateway=ip.get("gateway", ""))
            idx = ip.get("interface")
            if isinstance(idx, int) and 0 <= idx < len(ifaces):
                out["MacAddress"] = ifaces[idx].get("mac", "")
    return out


def network_settings(root: str, cid: str, settings: dict, pid: int = 0) -> dict:
    from teu.network.attach import attached_networks
    from teu.network.ports import to_docker

    host = settings["HostConfig"]
    mode = host.get("NetworkMode") or "none"
    records = cni.Cache(Store(root).results_dir).records(cid) if pid else []
    by_name = {r["networkName"]: r for r in records if r.get("result") is not None}
    networks = {}
    names = [n for n, _ in attached_networks(settings)] or \
        ([] if mode.startswith("container:") else [mode])
    for name in names:
        rec = by_name.get(name)
        ep = endpoint(rec) if rec else dict(_EMPTY_ENDPOINT)
        if rec is None:
            conf = ((settings.get("NetworkingConfig") or {}).get("EndpointsConfig")
                    or {}).get(name) or {}
            ep["Aliases"] = conf.get("Aliases") or None
            ep["IPAMConfig"] = conf.get("IPAMConfig") or None
        networks[name] = ep
    mappings = [m for r in records for m in (r.get("teu") or {}).get("ports") or []]
    exposed = settings["Config"].get("ExposedPorts") or {}
    first = networks.get(mode) or next(iter(networks.values()), dict(_EMPTY_ENDPOINT))
    default = first if mode == "bridge" else _EMPTY_ENDPOINT
    return {"Bridge": "", "SandboxID": cid if pid else "", "HairpinMode": False,
            "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "Ports": to_docker(mappings, exposed) if (pid and mode != "host") else {},
            "SandboxKey": f"/proc/{pid}/ns/net" if pid and mode != "host" else "",
            "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
            "EndpointID": default["EndpointID"], "Gateway": default["Gateway"],
            "GlobalIPv6Address": default["GlobalIPv6Address"],
            "GlobalIPv6PrefixLen": default["GlobalIPv6PrefixLen"],
            "IPAddress": default["IPAddress"], "IPPrefixLen": default["IPPrefixLen"],
            "IPv6Gateway": default["IPv6Gateway"], "MacAddress": default["MacAddress"],
            "Networks": networks}


def containers_of(root: str, network: str, names: dict[str, str] | None = None) -> dict:
    """network inspect's Containers: {id: {Name, EndpointID, MacAddress, IPv4Address, ...}}."""
    cache = cni.Cache(Store(root).results_dir)
    out = {}
    for cid in cache.containers():
        for rec in cache.records(cid):
            if rec["networkName"] != network or rec.get("result") is None:
                continue
            ep = endpoint(rec)
            name = (rec.get("teu") or {}).get("name") or (names or {}).get(cid, "")
            out[cid] = {"Name": name, "EndpointID": ep["EndpointID"],
                        "MacAddress": ep["MacAddress"],
                        "IPv4Address": f"{ep['IPAddress']}/{ep['IPPrefixLen']}"
                        if ep["IPAddress"] else "",
                        "IPv6Address": f"{ep['GlobalIPv6Address']}/{ep['GlobalIPv6PrefixLen']}"
                        if ep["GlobalIPv6Address"] else ""}
    return out
