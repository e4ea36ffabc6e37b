"""A service's config hash (label com.docker.compose.config-hash): what `up` compares
to decide whether a container must be recreated."""

from __future__ import annotations

import hashlib
import json


def config_hash(service: dict) -> str:
    """sha256 of the service's canonical JSON, without what does not change the
    container (scale, deploy.replicas, build, pull_policy), as docker compose does."""
    s = {k: v for k, v in service.items() if k not in ("build", "pull_policy", "scale")}
    if isinstance(s.get("deploy"), dict):
        s["deploy"] = {k: v for k, v in s["deploy"].items() if k != "replicas"}
    data = json.dumps(s, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()
