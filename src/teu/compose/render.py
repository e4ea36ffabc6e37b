"""The project model printed as `docker compose config` prints it: YAML in compose-go's
field order (Go struct order; map keys sorted), or JSON (`--format json`) with the
fields Go's encoder always writes (`command: null`, `ipam: {}`, ...)."""

from __future__ import annotations

import json
from typing import Any

TOP_ORDER = ["name", "services", "networks", "volumes", "secrets", "configs", "models"]

# compose-go types.ServiceConfig field order (the order its encoders write).
SERVICE_ORDER = [
    "profiles", "annotations", "attach", "build", "develop", "blkio_config", "cap_add",
    "cap_drop", "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period",
    "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares",
    "command", "configs", "container_name", "credential_spec", "depends_on", "deploy",
    "devices", "dns", "dns_opt", "dns_search", "dockerfile", "domainname", "entrypoint",
    "provider", "environment", "env_file", "expose", "extends", "external_links",
    "extra_hosts", "group_add", "gpus", "hostname", "healthcheck", "image", "init", "ipc",
    "isolation", "labels", "label_file", "custom_labels", "links", "logging", "log_driver",
    "log_opt", "mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness",
    "mac_address", "models", "net", "network_mode", "networks", "oom_kill_disable",
    "oom_score_adj", "pid", "pids_limit", "platform", "ports", "privileged",
    "pull_policy", "read_only", "restart", "runtime", "scale", "secrets", "security_opt",
    "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt",
    "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts",
    "volume_driver", "volumes", "volumes_from", "working_dir", "post_start", "pre_stop",
]
_ORDERS = {
    "build": ["context", "dockerfile", "dockerfile_inline", "entitlements", "args",
              "ssh", "labels", "cache_from", "cache_to", "no_cache", "additional_contexts",
              "network", "pull", "target", "shm_size", "extra_hosts", "isolation",
              "privileged", "secrets", "tags", "ulimits", "platforms"],
    "port": ["name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"],
    "volume": ["type", "source", "target", "read_only", "consistency", "bind", "volume",
               "tmpfs", "image"],
    "healthcheck": ["test", "timeout", "interval", "retries", "start_period",
                    "start_interval", "disable"],
    "depends": ["condition", "restart", "required"],
    "network": ["name", "driver", "driver_opts", "ipam", "external", "internal",
                "attachable", "labels", "enable_ipv4", "enable_ipv6"],
    "resource": ["name", "file", "environment", "content", "external", "labels",
                 "driver", "driver_opts", "template_driver"],
    "volume_top": ["name", "driver", "driver_opts", "external", "labels"],
    "ulimit": ["soft", "hard"],
    "deploy": ["mode", "replicas", "labels", "update_config", "rollback_config",
               "resources", "restart_policy", "placement", "endpoint_mode"],
}


def _ordered(d: dict, order: list[str]) -> dict:
    rank = {k: i for i, k in enumerate(order)}
    return dict(sorted(d.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def escape_dollars(value: Any) -> Any:
    """`$` written as `$$` in every string value, as docker compose config does, so the
    output reads back as the same model."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def shaped(model: dict, json_form: bool = False, escape: bool = True) -> dict:
    """The model with docker compose's key order (and, for JSON, its always-set fields)."""
    if escape:
        model = escape_dollars(model)
    out: dict = {}
    for key in TOP_ORDER:
        if key not in model:
            continue
        value = model[key]
        if key == "services":
            value = {n: _service(s, json_form) for n, s in sorted(value.items())}
        elif key == "networks":
            value = {n: _network(v, json_form) for n, v in sorted(value.items())}
        elif key == "volumes":
            value = {n: _ordered(v, _ORDERS["volume_top"]) for n, v in sorted(value.items())}
        elif key in ("secrets", "configs"):
            value = {n: _ordered(v, _ORDERS["resource"]) for n, v in sorted(value.items())}
        out[key] = value
    for key in sorted(model):
        if key.startswith("x-"):
            out[key] = _sorted_maps(model[key])
    if json_form:
        out = dict(sorted(out.items()))  # Go's encoder writes a map's keys sorted
    return out


def _sorted_maps(value: Any) -> Any:
    """An extension's value as Go writes a map[string]any: keys sorted, all the way down."""
    if isinstance(value, dict):
        return {k: _sorted_maps(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_maps(v) for v in value]
    return value


def _network(v: dict, json_form: bool) -> dict:
    v = dict(v)
    if json_form:
        v.setdefault("ipam", {})
    return _ordered(v, _ORDERS["network"])


def _service(s: dict, json_form: bool) -> dict:
    s = dict(s)
    watch = (s.get("develop") or {}).get("watch") if isinstance(s.get("develop"), dict) \
        else None
    if isinstance(watch, list) and not json_form:  # YAML omits an empty exec hook
        s["develop"] = {**s["develop"], "watch": [
            {k: v for k, v in r.items() if not (k == "exec" and v == {"command": None})}
            if isinstance(r, dict) else r for r in watch]}
    if json_form:
        s.setdefault("command", None)
        s.setdefault("entrypoint", None)
        for k in [k for k in s if k.startswith("x-")]:
            del s[k]
        if isinstance(s.get("deploy"), dict):
            s["deploy"] = {**s["deploy"]}
            s["deploy"].setdefault("resources", {})
            s["deploy"].setdefault("placement", {})
    if isinstance(s.get("build"), dict):
        s["build"] = _ordered(s["build"], _ORDERS["build"])
    if isinstance(s.get("ports"), list):
        s["ports"] = [_ordered(p, _ORDERS["port"]) for p in s["ports"]]
    if isinstance(s.get("volumes"), list):
        s["volumes"] = [_ordered(v, _ORDERS["volume"]) for v in s["volumes"]]
    if isinstance(s.get("healthcheck"), dict):
        s["healthcheck"] = _ordered(s["healthcheck"], _ORDERS["healthcheck"])
    if isinstance(s.get("depends_on"), dict):
        s["depends_on"] = {k: _ordered(v, _ORDERS["depends"])
                           for k, v in sorted(s["depends_on"].items())}
    if isinstance(s.get("deploy"), dict):
        s["deploy"] = _ordered(s["deploy"], _ORDERS["deploy"])
    if isinstance(s.get("ulimits"), dict):
        s["ulimits"] = {k: _ordered(v, _ORDERS["ulimit"]) if isinstance(v, dict) else v
                        for k, v in sorted(s["ulimits"].items())}
    for key in ("environment", "labels", "annotations", "sysctls", "networks"):
        if isinstance(s.get(key), dict):
            s[key] = dict(sorted(s[key].items()))
    return _ordered(s, SERVICE_ORDER)  # Go's encoders write a struct in field order


def to_json(model: dict, escape: bool = True) -> str:
    return json.dumps(shaped(model, True, escape), indent=2, ensure_ascii=False)


def to_yaml(model: dict, escape: bool = True) -> str:
    import yaml

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True  # go-yaml writes every value out, never an anchor

    def str_repr(dumper, value: str):
        # Go's yaml quotes strings that would read back as another type.
        style = None
        if _ambiguous(value):
            # go-yaml: double quotes for a string that would read back as another type,
            # single quotes for one a plain scalar cannot start with (`*`, `&`, `!`...)
            style = "'" if value[:1] in _INDICATORS else '"'
        if "\n" in value:
            style = "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def none_repr(dumper, value):
        return dumper.represent_scalar("tag:yaml.org,2002:null", "null")

    def seq_indent(dumper, value):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=False)

    Dumper.add_representer(str, str_repr)
    Dumper.add_representer(type(None), none_repr)
    Dumper.add_representer(list, seq_indent)
    return _indent_lists(yaml.dump(shaped(model, escape=escape), Dumper=Dumper, sort_keys=False,
                                   default_flow_style=False, allow_unicode=True, width=1 << 20))


_INDICATORS = set("*&!|>%@`")


def _ambiguous(value: str) -> bool:
    import yaml

    if value == "":
        return True
    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError:
        return True
    # go-yaml v3 also quotes the YAML 1.1 booleans and `n`/`y`.
    return (not isinstance(loaded, str)) or value.lower() in ("y", "n", "yes", "no", "on",
                                                              "off")


def _indent_lists(text: str) -> str:
    """go-yaml indents a sequence under its key by two spaces; PyYAML does not."""
    lines = text.splitlines()
    out = []
    stack: list[tuple[int, int]] = []  # (indent of the key, extra)
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        while stack and indent < stack[-1][0] or (stack and indent == stack[-1][0]
                                                  and not stripped.startswith("- ")
                                                  and stripped != "-"):
            stack.pop()
        extra = stack[-1][1] if stack else 0
        if stripped.startswith("- ") or stripped == "-":
            if not stack or stack[-1][0] != indent:
                extra = (stack[-1][1] if stack else 0) + 2
                stack.append((indent, extra))
            else:
                extra = stack[-1][1]
        out.append(" " * (indent + extra) + stripped)
    return "\n".join(out) + "\n"


def service_json(service: dict) -> dict:
    """One service as `config --format json` writes it."""
    return _service(service, True)
