"""A service's config hash (label com.docker.compose.config-hash): what `up` compares
to decide whether a container must be recreated."""

from __future__ import annotations


def config_hash(service: dict) -> str:
    """sha256 of the service as docker compose's JSON writes it (compact, Go's field
    order, HTML characters escaped as Go does), without what does not change the
    container (build, pull_policy, scale, profiles, depends_on, deploy.replicas).
    The service is the one `up` creates containers from: env_file merged into its
    environment and dropped, as docker compose 2.40's `up` hashes it."""
    import hashlib
    import json

    from teu.compose.render import service_json

    s = {k: v for k, v in service.items()
         if k not in ("build", "pull_policy", "scale", "profiles", "depends_on")}
    if isinstance(s.get("deploy"), dict):
        s["deploy"] = {k: v for k, v in s["deploy"].items() if k != "replicas"}
    text = json.dumps(service_json(s), separators=(",", ":"),
                      ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return hashlib.sha256(text.encode()).hexdigest()


def declared_hash(service: dict, declared: dict) -> str:
    """`config --hash` as docker compose 2.40.3 prints it: its project is loaded without
    the environment resolution `up` does, so the service is hashed with its environment
    as written (bare keys resolved, env_file not merged) and its env_file entries kept,
    each written as Go's EnvFile.MarshalJSON does (the path alone when required).
    (So for a service with an env_file it differs from the label `up` sets, in docker
    compose 2.40 as here.)"""
    s = dict(service)
    s.pop("environment", None)
    if declared.get("environment"):
        s["environment"] = declared["environment"]
    if declared.get("env_file"):
        s["env_file"] = [e["path"] if e["required"] else
                         {"path": e["path"], "required": False,
                          **({"format": e["format"]} if e.get("format") else {})}
                         for e in declared["env_file"]]
    return config_hash(s)
