"""The OCI runtime config (config.json): load and validate, naming the bad field.

The config stays a plain dict (JSON in, JSON out, nothing lost that a newer spec
adds); this module checks what the runtime relies on so that later code can
index it without guarding every key. Spec versions 1.0.x through 1.3.x.
"""

from __future__ import annotations

from teu import fastjson
from teu.errors import TeuError

NAMESPACE_TYPES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")
RLIMIT_TYPES = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
                "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
                "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO",
                "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK")
HOOK_KINDS = ("prestart", "createRuntime", "createContainer", "startContainer",
              "poststart", "poststop")
CAPABILITY_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
# Linux capabilities in kernel order: the index is the capability's number.
CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)


def capability_name(name: str) -> str:
    """A capability as the spec spells it: "chown" and "CAP_CHOWN" are both CAP_CHOWN."""
    upper = name.upper()
    return upper if upper.startswith("CAP_") else "CAP_" + upper
DEVICE_TYPES = ("c", "b", "u", "p")


class ConfigError(TeuError):
    """config.json is malformed or breaks the spec; the message names the field."""


def load(path: str) -> dict:
    """Read and validate a config.json, or raise ConfigError naming file and field."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (is the bundle path right?)") from None
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror}") from None
    try:
        config = fastjson.loads(data)
    except ValueError as e:
        raise ConfigError(f"{path}: invalid JSON: {e}") from None
    try:
        validate(config)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    return config


def supported_version(version: str) -> bool:
    """1.0.0 through 1.3.x, with optional -prerelease and +build parts (semver)."""
    core = version.split("+", 1)[0].split("-", 1)[0]
    parts = core.split(".")
    return (len(parts) == 3 and parts[0] == "1" and parts[1] in ("0", "1", "2", "3")
            and parts[2].isdigit() and parts[2].isascii())


def _fail(field: str, message: str) -> None:
    raise ConfigError(f"{field}: {message}")


def _type(value: object, kind: type | tuple, field: str) -> None:
    # bool is an int in Python; JSON true is never a valid number here.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in
                                       (kind if isinstance(kind, tuple) else (kind,))):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        _fail(field, f"must be {_json_name(names)}, not {type(value).__name__}")


def _json_name(python_name: str) -> str:
    return (python_name.replace("dict", "an object").replace("list", "an array")
            .replace("str", "a string").replace("int", "an integer")
            .replace("bool", "a boolean"))


def _strings(value: object, field: str) -> None:
    _type(value, list, field)
    for i, item in enumerate(value):  # type: ignore[arg-type]
        _type(item, str, f"{field}[{i}]")


def _absolute(value: object, field: str) -> None:
    _type(value, str, field)
    if not str(value).startswith("/"):
        _fail(field, f"must be an absolute path, got {value!r}")


def validate(config: object) -> None:
    """Raise ConfigError for the first field that breaks the spec."""
    _type(config, dict, "config")
    assert isinstance(config, dict)
    version = config.get("ociVersion")
    if version is None:
        _fail("ociVersion", "missing")
    _type(version, str, "ociVersion")
    if not supported_version(version):
        _fail("ociVersion", f"{version!r} is not a supported version (1.0.0 to 1.3.x)")
    root = config.get("root")
    if root is None:
        _fail("root", "missing")
    _type(root, dict, "root")
    _type(root.get("path"), str, "root.path")
    if not root["path"]:
        _fail("root.path", "must not be empty")
    _type(root.get("readonly", False), bool, "root.readonly")
    if "hostname" in config:
        _type(config["hostname"], str, "hostname")
    if "domainname" in config:
        _type(config["domainname"], str, "domainname")
    if "process" in config:
        validate_process(config["process"])
    for i, m in enumerate(config.get("mounts") or []):
        _validate_mount(m, f"mounts[{i}]")
    _validate_hooks(config.get("hooks"))
    if "annotations" in config:
        _type(config["annotations"], dict, "annotations")
    if "linux" in config:
        _validate_linux(config["linux"], config)


def validate_process(process: object) -> None:
    _type(process, dict, "process")
    assert isinstance(process, dict)
    args = process.get("args")
    if not args and "commandLine" not in process:
        _fail("process.args", "must name the program to run")
    if args is not None:
        _strings(args, "process.args")
    _type(process.get("cwd", "/"), str, "process.cwd")
    if not process.get("cwd", "/").startswith("/"):
        _fail("process.cwd", f"must be an absolute path, got {process['cwd']!r}")
    env = process.get("env") or []
    _strings(env, "process.env")
    for i, item in enumerate(env):
        if "=" not in item:
            _fail(f"process.env[{i}]", f"{item!r} is not NAME=value")
    _type(process.get("terminal", False), bool, "process.terminal")
    _type(process.get("noNewPrivileges", False), bool, "process.noNewPrivileges")
    user = process.get("user", {})
    _type(user, dict, "process.user")
    for key in ("uid", "gid", "umask"):
        if key in user:
            _type(user[key], int, f"process.user.{key}")
            if user[key] < 0:
                _fail(f"process.user.{key}", "must not be negative")
    for i, gid in enumerate(user.get("additionalGids") or []):
        _type(gid, int, f"process.user.additionalGids[{i}]")
    caps = process.get("capabilities") or {}
    _type(caps, dict, "process.capabilities")
    for name, values in caps.items():
        if name not in CAPABILITY_SETS:
            _fail(f"process.capabilities.{name}", "unknown capability set")
        _strings(values or [], f"process.capabilities.{name}")
        for value in values or []:
            if capability_name(value) not in CAPABILITIES:
                # The spec: a value that cannot be mapped to the kernel MUST be an error.
                _fail(f"process.capabilities.{name}", f"unknown capability {value!r}")
    for i, rl in enumerate(process.get("rlimits") or []):
        field = f"process.rlimits[{i}]"
        _type(rl, dict, field)
        if rl.get("type") not in RLIMIT_TYPES:
            _fail(f"{field}.type", f"unknown rlimit {rl.get('type')!r}")
        for key in ("soft", "hard"):
            _type(rl.get(key), int, f"{field}.{key}")
        if rl["soft"] > rl["hard"]:
            _fail(field, f"soft limit {rl['soft']} is above hard limit {rl['hard']}")
    if "oomScoreAdj" in process:
        _type(process["oomScoreAdj"], int, "process.oomScoreAdj")
        if not -1000 <= process["oomScoreAdj"] <= 1000:
            _fail("process.oomScoreAdj", "must be between -1000 and 1000")
    if "consoleSize" in process:
        _type(process["consoleSize"], dict, "process.consoleSize")


def _validate_mount(m: object, field: str) -> None:
    _type(m, dict, field)
    assert isinstance(m, dict)
    _type(m.get("destination"), str, f"{field}.destination")
    if not m["destination"]:
        _fail(f"{field}.destination", "must not be empty")
    if "source" in m:
        _type(m["source"], str, f"{field}.source")
    if "type" in m:
        _type(m["type"], str, f"{field}.type")
    if "options" in m:
        _strings(m["options"], f"{field}.options")


def _validate_hooks(hooks: object) -> None:
    if hooks is None:
        return
    _type(hooks, dict, "hooks")
    assert isinstance(hooks, dict)
    for kind, entries in hooks.items():
        if kind not in HOOK_KINDS:
            _fail(f"hooks.{kind}", "unknown hook kind")
        _type(entries, list, f"hooks.{kind}")
        for i, hook in enumerate(entries):
            field = f"hooks.{kind}[{i}]"
            _type(hook, dict, field)
            _absolute(hook.get("path"), f"{field}.path")
            if "args" in hook:
                _strings(hook["args"], f"{field}.args")
            if "env" in hook:
                _strings(hook["env"], f"{field}.env")
            if "timeout" in hook:
                _type(hook["timeout"], int, f"{field}.timeout")
                if hook["timeout"] <= 0:
                    _fail(f"{field}.timeout", "must be positive")


def _validate_linux(linux: object, config: dict) -> None:
    _type(linux, dict, "linux")
    assert isinstance(linux, dict)
    seen: set[str] = set()
    for i, ns in enumerate(linux.get("namespaces") or []):
        field = f"linux.namespaces[{i}]"
        _type(ns, dict, field)
        kind = ns.get("type")
        if kind not in NAMESPACE_TYPES:
            _fail(f"{field}.type", f"unknown namespace type {kind!r}")
        if kind in seen:
            _fail(f"{field}.type", f"namespace {kind!r} listed twice")
        seen.add(kind)
        if "path" in ns:
            _absolute(ns["path"], f"{field}.path")
    for key in ("uidMappings", "gidMappings"):
        mappings = linux.get(key) or []
        _type(mappings, list, f"linux.{key}")
        for i, m in enumerate(mappings):
            for part in ("containerID", "hostID", "size"):
                _type(m.get(part), int, f"linux.{key}[{i}].{part}")
        if mappings and "user" not in seen:
            _fail(f"linux.{key}", "mappings need a user namespace")
    if "user" in seen and not any(ns.get("path") for ns in linux["namespaces"]
                                  if ns.get("type") == "user"):
        if not linux.get("uidMappings") or not linux.get("gidMappings"):
            _fail("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings")
    if config.get("hostname") and "uts" not in seen:
        _fail("hostname", "setting a hostname needs a uts namespace")
    for i, dev in enumerate(linux.get("devices") or []):
        field = f"linux.devices[{i}]"
        _type(dev, dict, field)
        _absolute(dev.get("path"), f"{field}.path")
        if dev.get("type") not in DEVICE_TYPES:
            _fail(f"{field}.type", f"must be one of c, b, u, p, not {dev.get('type')!r}")
        if dev["type"] != "p":
            for part in ("major", "minor"):
                _type(dev.get(part), int, f"{field}.{part}")
    for key in ("maskedPaths", "readonlyPaths"):
        for i, path in enumerate(linux.get(key) or []):
            _absolute(path, f"linux.{key}[{i}]")
    if "sysctl" in linux:
        _type(linux["sysctl"], dict, "linux.sysctl")
    if "cgroupsPath" in linux:
        _type(linux["cgroupsPath"], str, "linux.cgroupsPath")
    if "resources" in linux:
        _type(linux["resources"], dict, "linux.resources")
    if "rootfsPropagation" in linux and linux["rootfsPropagation"] not in (
            "private", "rprivate", "slave", "rslave", "shared", "rshared",
            "unbindable", "runbindable"):
        _fail("linux.rootfsPropagation", f"unknown propagation {linux['rootfsPropagation']!r}")
    if "seccomp" in linux:
        _type(linux["seccomp"], dict, "linux.seccomp")
