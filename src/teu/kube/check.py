"""teu's own checks of manifests, beyond the schemas (kubernetes-validate misses these):
object and container names by Kubernetes' rules, ports (range, names, duplicates, a
Service with none), and that every Service and Deployment selector selects pods."""

from __future__ import annotations

from teu.kube import names

SUBDOMAIN_KINDS = ("Pod", "Deployment", "Job", "ConfigMap", "Secret", "PersistentVolumeClaim")


def pod_spec_of(doc: dict) -> tuple[dict, dict]:
    """(pod spec, pod labels) of a Pod, Deployment or Job."""
    if doc.get("kind") == "Pod":
        return doc.get("spec") or {}, (doc.get("metadata") or {}).get("labels") or {}
    template = (doc.get("spec") or {}).get("template") or {}
    return template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {}


def problems(docs: list[dict]) -> list[str]:
    """Every rule broken, one line each (empty: all good)."""
    out: list[str] = []
    pods: list[dict] = []  # labels of every pod the documents make
    for doc in docs:
        kind = doc.get("kind") or "?"
        name = (doc.get("metadata") or {}).get("name") or ""
        where = f"{kind} {name!r}"
        if kind == "Service":
            if not names.is_1035_label(name):
                out.append(f"{where}: name is not an RFC 1035 label")
        elif kind in SUBDOMAIN_KINDS and not names.is_subdomain(name):
            out.append(f"{where}: name is not an RFC 1123 subdomain")
        for k, v in ((doc.get("metadata") or {}).get("labels") or {}).items():
            if not names.is_label_value(str(v)):
                out.append(f"{where}: label {k}={v!r}: not a valid label value")
        if kind in ("Pod", "Deployment", "Job"):
            spec, labels = pod_spec_of(doc)
            pods.append(labels)
            out += _pod(spec, where)
            if kind == "Deployment":
                sel = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
                if not sel or any(labels.get(k) != v for k, v in sel.items()):
                    out.append(f"{where}: selector {sel} does not match its template's "
                               f"labels {labels}")
        if kind in ("ConfigMap", "Secret"):
            for key in (doc.get("data") or {}):
                if not names.is_config_key(key):
                    out.append(f"{where}: key {key!r} is not a valid key")
    for doc in docs:
        if doc.get("kind") != "Service":
            continue
        name = (doc.get("metadata") or {}).get("name")
        spec = doc.get("spec") or {}
        ports = spec.get("ports") or []
        if not ports:
            out.append(f"Service {name!r}: has no ports")
        seen = set()
        for p in ports:
            key = (p.get("port"), p.get("protocol") or "TCP")
            if key in seen:
                out.append(f"Service {name!r}: port {key[0]}/{key[1]} twice")
            seen.add(key)
            if not 1 <= int(p.get("port") or 0) <= 65535:
                out.append(f"Service {name!r}: port {p.get('port')} out of range")
            if len(ports) > 1 and not p.get("name"):
                out.append(f"Service {name!r}: several ports need names")
            if p.get("name") and not names.is_port_name(p["name"]):
                out.append(f"Service {name!r}: port name {p['name']!r} is not an "
                           "IANA_SVC_NAME")
        sel = spec.get("selector") or {}
        if not any(all(labels.get(k) == v for k, v in sel.items()) for labels in pods):
            out.append(f"Service {name!r}: selector {sel} selects no pod")
    return out


def _pod(spec: dict, where: str) -> list[str]:
    out = []
    seen_names = set()
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        cname = c.get("name") or ""
        if not names.is_label(cname):
            out.append(f"{where}: container name {cname!r} is not an RFC 1123 label")
        if cname in seen_names:
            out.append(f"{where}: container name {cname!r} twice")
        seen_names.add(cname)
        ports = set()
        for p in c.get("ports") or []:
            cp = p.get("containerPort")
            if not isinstance(cp, int) or not 1 <= cp <= 65535:
                out.append(f"{where}: container {cname}: containerPort {cp} out of range")
            hp = p.get("hostPort")
            if hp is not None and (not isinstance(hp, int) or not 1 <= hp <= 65535):
                out.append(f"{where}: container {cname}: hostPort {hp} out of range")
            key = (cp, p.get("protocol") or "TCP")
            if key in ports:
                out.append(f"{where}: container {cname}: port {cp} twice")
            ports.add(key)
            if p.get("name") and not names.is_port_name(p["name"]):
                out.append(f"{where}: container {cname}: port name {p['name']!r} invalid")
        for vm in c.get("volumeMounts") or []:
            if vm.get("name") not in volumes:
                out.append(f"{where}: container {cname}: volumeMount {vm.get('name')!r} "
                           "names no volume")
    for v in volumes:
        if not names.is_label(v or ""):
            out.append(f"{where}: volume name {v!r} is not an RFC 1123 label")
    return out
