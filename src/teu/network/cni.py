"""A CNI 1.0 runtime: run a conflist's plugins for a container (ADD, DEL, CHECK).

What the spec asks of a runtime, and how teu does it:
- a plugin is the executable named by its `type`, found in the CNI plugin
  directories (TEU_CNI_PATH or --cni-plugin-dir, else Debian's /usr/lib/cni and
  the usual /opt/cni/bin); CNI_PATH tells plugins where to find their delegates
  (bridge runs host-local).
- each plugin gets its config on stdin with the list's `name` and `cniVersion`,
  `runtimeConfig` holding only the capabilities it declares (portMappings, ips,
  mac, bandwidth, ...), and `prevResult`: the previous plugin's result on ADD,
  the cached result of the last ADD on CHECK and DEL. DEL runs the list in
  reverse; a failed ADD is undone with a DEL of the whole list.
- CNI_ARGS are `K=V;K=V` (IgnoreUnknown=1 first, as libcni sends, so plugins
  that do not know a key do not fail).
- results are cached (Cache) so DEL and CHECK get them after teu exited, and
  DEL succeeds when the container, its namespace or the cache are already gone.

Plugins are started with posix_spawn and their output read later, so a caller
can start ADD's first plugin and do other work (the runtime's create) while it
runs: `begin_add` ... `Pending.finish`.
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.network.errors import PluginError

CNI_VERSION = "1.0.0"
DEFAULT_PLUGIN_DIRS = ("/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin")
# Well-known error codes (SPEC.md): 3 unknown container or it does not exist.
UNKNOWN_CONTAINER = 3


def plugin_dirs() -> list[str]:
    env = os.environ.get("TEU_CNI_PATH")
    if env:
        return [d for d in env.split(":") if d]
    return list(DEFAULT_PLUGIN_DIRS)


def find_plugin(kind: str, dirs: list[str] | None = None) -> str:
    dirs = plugin_dirs() if dirs is None else dirs
    if not kind or "/" in kind:
        raise PluginError(f"invalid CNI plugin type {kind!r}")
    for d in dirs:
        path = os.path.join(d, kind)
        if os.access(path, os.X_OK):
            return path
    e = PluginError(f'failed to find plugin "{kind}" in path {dirs} '
                    "(apt-get install containernetworking-plugins, or set --cni-plugin-dir)")
    e.missing = True  # type: ignore[attr-defined]
    raise e


def check_plugins(conflist: dict, dirs: list[str] | None = None) -> None:
    """Every plugin of the list (and its IPAM plugin) is there, before anything runs."""
    dirs = plugin_dirs() if dirs is None else dirs
    for p in conflist.get("plugins") or []:
        find_plugin(p.get("type") or "", dirs)
        ipam = p.get("ipam") or {}
        if ipam.get("type"):
            find_plugin(ipam["type"], dirs)


class RuntimeConf:
    """What a runtime tells plugins about one attachment (libcni's RuntimeConf)."""

    __slots__ = ("container_id", "netns", "ifname", "args", "capabilities")

    def __init__(self, container_id: str, netns: str, ifname: str = "eth0",
                 args: list[tuple[str, str]] | None = None,
                 capabilities: dict | None = None) -> None:
        self.container_id = container_id
        self.netns = netns
        self.ifname = ifname
        self.args = list(args or [])
        self.capabilities = dict(capabilities or {})

    def to_json(self) -> dict:
        return {"containerId": self.container_id, "netns": self.netns, "ifName": self.ifname,
                "cniArgs": [list(a) for a in self.args], "capabilityArgs": self.capabilities}

    @classmethod
    def from_json(cls, d: dict) -> RuntimeConf:
        return cls(d["containerId"], d.get("netns") or "", d.get("ifName") or "eth0",
                   [tuple(a) for a in d.get("cniArgs") or []], d.get("capabilityArgs") or {})


def plugin_stdin(conflist: dict, plugin: dict, rt: RuntimeConf, prev: dict | None) -> bytes:
    """The config one plugin reads: its own, the list's name and version, its share of the
    runtime config, the previous result."""
    conf = dict(plugin)
    conf["name"] = conflist["name"]
    conf["cniVersion"] = conflist.get("cniVersion") or CNI_VERSION
    caps = plugin.get("capabilities") or {}
    runtime = {k: v for k, v in rt.capabilities.items() if caps.get(k)}
    conf.pop("runtimeConfig", None)
    if runtime:
        conf["runtimeConfig"] = runtime
    if prev is not None:
        conf["prevResult"] = prev
    return fastjson.dumps(conf).encode()


def _env(command: str, rt: RuntimeConf, dirs: list[str]) -> dict:
    env = dict(os.environ)
    args = ";".join(f"{k}={v}" for k, v in [("IgnoreUnknown", "1"), *rt.args]) \
        if rt.args else ""
    env.update(CNI_COMMAND=command, CNI_CONTAINERID=rt.container_id, CNI_NETNS=rt.netns,
               CNI_IFNAME=rt.ifname, CNI_ARGS=args, CNI_PATH=":".join(dirs))
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    return env


class Exec:
    """One plugin process: started at once, its answer read by wait()."""

    def __init__(self, path: str, command: str, env: dict, stdin: bytes) -> None:
        self.path = path
        self.command = command
        r_in, w_in = os.pipe2(os.O_CLOEXEC)
        r_out, w_out = os.pipe2(os.O_CLOEXEC)
        r_err, w_err = os.pipe2(os.O_CLOEXEC)
        try:
            self.pid = os.posix_spawn(path, [path], env, file_actions=[
                (os.POSIX_SPAWN_DUP2, r_in, 0), (os.POSIX_SPAWN_DUP2, w_out, 1),
                (os.POSIX_SPAWN_DUP2, w_err, 2)])
        except OSError as e:
            for fd in (r_in, w_in, r_out, w_out, r_err, w_err):
                os.close(fd)
            raise PluginError(f"cannot run CNI plugin {path}: {e.strerror}") from None
        for fd in (r_in, w_out, w_err):
            os.close(fd)
        self.out, self.err = r_out, r_err
        try:
            if len(stdin) < 60000:
                os.write(w_in, stdin)  # fits the pipe: never blocks
            else:
                import threading

                threading.Thread(target=_write_all, args=(w_in, stdin), daemon=True).start()
                w_in = -1
        except BrokenPipeError:
            pass
        finally:
            if w_in >= 0:
                os.close(w_in)

    def wait(self) -> dict | None:
        """The plugin's result (None if it printed nothing); PluginError if it failed."""
        out, err = _read_both(self.out, self.err)
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            text = out.strip()
            if not text:
                return None
            try:
                return fastjson.loads(text)
            except ValueError:
                raise PluginError(f"CNI plugin {os.path.basename(self.path)} {self.command}: "
                                  f"output is not JSON: {text[:200]!r}") from None
        raise plugin_failure(self.path, self.command, code, out, err)


def plugin_failure(path: str, command: str, code: int, out: bytes, err: bytes) -> PluginError:
    """The spec's error object ({code, msg, details}) as one line, else what it printed."""
    name = os.path.basename(path)
    msg = ""
    error_code = None
    try:
        body = fastjson.loads(out.strip()) if out.strip() else {}
        if isinstance(body, dict):
            msg = body.get("msg") or ""
            if body.get("details"):
                msg += f": {body['details']}"
            error_code = body.get("code")
    except ValueError:
        pass
    if not msg:
        lines = (err or out).decode(errors="replace").strip().splitlines()
        msg = lines[-1] if lines else f"exit status {code}"
    e = PluginError(f"plugin type={name!r} failed ({command}): {msg}")
    e.cni_code = error_code  # type: ignore[attr-defined]
    return e


def _read_both(a: int, b: int) -> tuple[bytes, bytes]:
    import select

    bufs: dict[int, list[bytes]] = {a: [], b: []}
    open_fds = [a, b]
    try:
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [])
            for fd in ready:
                chunk = os.read(fd, 65536)
                if chunk:
                    bufs[fd].append(chunk)
                else:
                    open_fds.remove(fd)
    finally:
        os.close(a)
        os.close(b)
    return b"".join(bufs[a]), b"".join(bufs[b])


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass
    finally:
        os.close(fd)


def _spawn(conflist: dict, plugin: dict, command: str, rt: RuntimeConf, prev: dict | None,
           dirs: list[str]) -> Exec:
    path = find_plugin(plugin.get("type") or "", dirs)
    return Exec(path, command, _env(command, rt, dirs), plugin_stdin(conflist, plugin, rt, prev))


class Pending:
    """An ADD under way: the first plugin runs; finish() runs the rest and returns the
    list's result (undoing everything with a DEL if any plugin failed)."""

    def __init__(self, conflist: dict, rt: RuntimeConf, dirs: list[str]) -> None:
        self.conflist = conflist
        self.rt = rt
        self.dirs = dirs
        plugins = conflist.get("plugins") or []
        if not plugins:
            raise PluginError(f"network {conflist.get('name')}: the conflist has no plugins")
        self.first: Exec | None = _spawn(conflist, plugins[0], "ADD", rt, None, dirs)

    def finish(self) -> dict:
        prev = None
        try:
            for i, plugin in enumerate(self.conflist["plugins"]):
                if i == 0:
                    proc, self.first = self.first, None
                else:
                    proc = _spawn(self.conflist, plugin, "ADD", self.rt, prev, self.dirs)
                prev = proc.wait() if proc is not None else prev  # type: ignore[union-attr]
        except BaseException:
            try:
                delete(self.conflist, self.rt, prev, self.dirs)
            except PluginError:
                pass
            raise
        return prev or {"cniVersion": self.conflist.get("cniVersion") or CNI_VERSION}

    def cancel(self) -> None:
        """Wait for the first plugin (never leave it half-way), then DEL."""
        if self.first is not None:
            try:
                self.first.wait()
            except PluginError:
                pass
            self.first = None
        try:
            delete(self.conflist, self.rt, None, self.dirs)
        except PluginError:
            pass


def begin_add(conflist: dict, rt: RuntimeConf, dirs: list[str] | None = None) -> Pending:
    return Pending(conflist, rt, plugin_dirs() if dirs is None else dirs)


def add(conflist: dict, rt: RuntimeConf, dirs: list[str] | None = None) -> dict:
    return begin_add(conflist, rt, dirs).finish()


class PendingDelete:
    """A DEL under way: the last plugin's runs at once; finish() runs the others. A plugin
    that says the container is unknown (code 3) has nothing left to undo; any other
    failure stops the list, as the spec says."""

    def __init__(self, conflist: dict, rt: RuntimeConf, prev: dict | None,
                 dirs: list[str]) -> None:
        self.args = (conflist, rt, prev, dirs)
        self.plugins = list(reversed(conflist.get("plugins") or []))
        self.first: Exec | None = None
        self.error: PluginError | None = None
        if self.plugins:
            try:
                self.first = _spawn(conflist, self.plugins[0], "DEL", rt, prev, dirs)
            except PluginError as e:
                self.error = e

    def finish(self) -> None:
        conflist, rt, prev, dirs = self.args
        for i, plugin in enumerate(self.plugins):
            try:
                if i == 0:
                    if self.error is not None:
                        raise self.error
                    self.first.wait()  # type: ignore[union-attr]
                else:
                    _spawn(conflist, plugin, "DEL", rt, prev, dirs).wait()
            except PluginError as e:
                if getattr(e, "cni_code", None) == UNKNOWN_CONTAINER:
                    continue
                raise


def begin_delete(conflist: dict, rt: RuntimeConf, prev: dict | None,
                 dirs: list[str] | None = None) -> PendingDelete:
    return PendingDelete(conflist, rt, prev, plugin_dirs() if dirs is None else dirs)


def delete(conflist: dict, rt: RuntimeConf, prev: dict | None,
           dirs: list[str] | None = None) -> None:
    """DEL, last plugin first (PendingDelete)."""
    begin_delete(conflist, rt, prev, dirs).finish()


def check(conflist: dict, rt: RuntimeConf, prev: dict, dirs: list[str] | None = None) -> None:
    """CHECK every plugin in order (not when the list says disableCheck)."""
    if str(conflist.get("disableCheck")).lower() == "true":
        return
    dirs = plugin_dirs() if dirs is None else dirs
    for plugin in conflist.get("plugins") or []:
        _spawn(conflist, plugin, "CHECK", rt, prev, dirs).wait()


def version(kind: str, dirs: list[str] | None = None) -> dict:
    path = find_plugin(kind, dirs)
    proc = Exec(path, "VERSION", {**os.environ, "CNI_COMMAND": "VERSION"},
                fastjson.dumps({"cniVersion": CNI_VERSION}).encode())
    return proc.wait() or {}


class Cache:
    """Results of ADDs, one file per container and interface (libcni keeps the same:
    the config, the runtime conf and the result), so that DEL and CHECK can be run
    later by another teu. `extra` holds what teu itself needs back (ports, aliases)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def path(self, cid: str, ifname: str) -> str:
        return os.path.join(self.directory, cid, ifname + ".json")

    def save(self, conflist: dict, rt: RuntimeConf, result: dict | None,
             extra: dict | None = None) -> None:
        path = self.path(rt.container_id, rt.ifname)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        record = {"kind": "cniCacheV1", "networkName": conflist["name"], "config": conflist,
                  **rt.to_json(), "result": result, "teu": extra or {}}
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(fastjson.dumps(record))
        os.replace(tmp, path)

    def load(self, cid: str, ifname: str) -> dict | None:
        try:
            with open(self.path(cid, ifname), "rb") as f:
                return fastjson.loads(f.read())
        except (OSError, ValueError):
            return None

    def records(self, cid: str) -> list[dict]:
        """The container's records, in the order they were made (eth0, eth1, ...)."""
        d = os.path.join(self.directory, cid)
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        out = []
        for n in sorted(names, key=lambda n: (len(n), n)):
            rec = self.load(cid, n[:-5])
            if rec is not None:
                out.append(rec)
        return out

    def containers(self) -> list[str]:
        try:
            return [n for n in os.listdir(self.directory) if not n.startswith(".")]
        except FileNotFoundError:
            return []

    def remove(self, cid: str, ifname: str) -> None:
        try:
            os.unlink(self.path(cid, ifname))
        except FileNotFoundError:
            pass
        try:
            os.rmdir(os.path.join(self.directory, cid))
        except OSError:
            pass
