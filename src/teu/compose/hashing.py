"""A service's config hash (label com.docker.compose.config-hash): what `up` compares
to decide whether a container must be recreated."""

from __future__ import annotations

import hashlib
import json


def config_hash(service: dict) -> str:
    """sha256 of the service as docker compose's JSON writes it (compact, Go's field
    order, HTML characters escaped as Go does), without what does not change the
    container (build, pull_policy, scale, profiles, depends_on,
    deploy.replicas). Equal to
    docker compose's `config --hash` on the test projects but one service (shop's web)."""
    from teu.compose.render import service_json

    s = {k: v for k, v in service.items()
         if k not in ("build", "pull_policy", "scale", "profiles", "depends_on")}
    if isinstance(s.get("deploy"), dict):
        s["deploy"] = {k: v for k, v in s["deploy"].items() if k != "replicas"}
    text = json.dumps(service_json(s), separators=(",", ":"),
                      ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return hashlib.sha256(text.encode()).hexdigest()
