"""RUN: the command line (shell form, exec form, heredocs), its --mount options, and
running it in the step's root filesystem through the engine's one-shot seam.

Heredocs follow BuildKit: a RUN that is only `<<EOF` runs the document's text with
the shell, or, if it starts with `#!`, as a file of its own (read-only under
/dev/pipes, never in the layer); any other RUN with heredocs gets the documents
appended to its command line, for the shell to read.

Whatever a step mounts and did not exist in the image (mount points for /proc,
/etc/hosts, a cache target...) is removed again after the command, so layers
hold only what the command made: BuildKit's mount stubs cleanup.
"""

from __future__ import annotations

import collections
import os
import posixpath
import threading

from teu.build.dockerfile import instructions as I
from teu.build.errors import BuildError, StepFailed
from teu.build.record import field, record
from teu.oci import digest as D

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from collections.abc import Callable

STUBS = ["/proc", "/dev", "/sys", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]
TAIL = 10


@record
class Mount:
    type: str = "bind"
    target: str = ""
    source: str = ""
    from_: str = ""
    readonly: bool | None = None
    id: str = ""
    sharing: str = "shared"
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    required: bool = False
    size: str = ""
    env: str = ""

    def key(self) -> list:
        return [self.type, self.target, self.source, self.from_, self.readonly, self.id,
                self.sharing, self.mode, self.uid, self.gid, self.env]


_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")


def parse_mount(spec: str) -> Mount:
    """One --mount value (csv of key=value), with BuildKit's checks and messages."""
    import csv

    fields = next(csv.reader([spec])) if spec else []
    m = Mount()
    typ = "bind"
    for f in fields:
        k, eq, v = f.partition("=")
        if k.lower() == "type" and eq:
            typ = v.lower()
    if typ not in _TYPES:
        raise BuildError(f'unsupported mount type "{typ}"')
    m.type = typ
    if typ == "secret":
        m.mode, m.uid, m.gid = 0o400, 0, 0
    elif typ == "cache":
        m.mode, m.uid, m.gid = 0o755, 0, 0
    for f in fields:
        k, eq, v = f.partition("=")
        k = k.strip().lower()
        if not eq:
            if k in ("readonly", "ro"):
                m.readonly = True
                continue
            if k in ("readwrite", "rw"):
                m.readonly = False
                continue
            if k == "required":
                m.required = True
                continue
            raise BuildError(f"invalid field '{f}' must be a key=value pair")
        if k == "type":
            continue
        if k == "from":
            m.from_ = v
        elif k in ("source", "src"):
            m.source = v
        elif k in ("target", "dst", "destination"):
            m.target = v
        elif k in ("readonly", "ro", "readwrite", "rw", "required"):
            b = _bool(v, k)
            if k in ("readonly", "ro"):
                m.readonly = b
            elif k in ("readwrite", "rw"):
                m.readonly = not b
            else:
                m.required = b
        elif k == "id":
            m.id = v
        elif k == "sharing":
            if v not in ("shared", "private", "locked"):
                raise BuildError(f'unsupported sharing value "{v}"')
            m.sharing = v
        elif k == "mode":
            try:
                m.mode = int(v, 8)
            except ValueError:
                raise BuildError(f"invalid value {v} for mode") from None
        elif k in ("uid", "gid"):
            if not v.isdigit():
                raise BuildError(f"invalid value {v} for {k}")
            setattr(m, k, int(v))
        elif k == "size":
            m.size = v
        elif k == "env" and typ == "secret":
            m.env = v
        else:
            raise BuildError(f"unexpected key '{k}' in '{f}'")
    if typ in ("bind", "tmpfs") and (m.mode is not None or m.uid is not None):
        raise BuildError(f'mode/uid not allowed for "{typ}" type mounts')
    if typ == "secret":
        if m.from_:
            raise BuildError("secret mount should not have a from")
        if not m.id and not m.source and not m.target and not m.env:
            raise BuildError("invalid secret mount. one of source, target required")
        if m.id and m.source:
            raise BuildError("both source and id can't be set")
        m.id = m.id or m.source or posixpath.basename(m.target)
        if not m.target and not m.env:
            m.target = f"/run/secrets/{m.id}"
    elif typ == "ssh":
        m.id = m.id or "default"
        m.target = m.target or "/run/buildkit/ssh_agent.0"
        if m.mode is None:
            m.mode = 0o600
    elif not m.target:
        raise BuildError(f"mount type {typ}: target is required "
                         "(--mount=type=...,target=/path)")
    if typ == "cache":
        m.id = m.id or m.target
    return m


def _bool(v: str, k: str) -> bool:
    if v.lower() in ("true", "1"):
        return True
    if v.lower() in ("false", "0"):
        return False
    raise BuildError(f"invalid value for {k}: {v}")


# -- the command line ----------------------------------------------------------------


@record
class Command:
    args: list[str]
    scripts: dict[str, bytes] = field(default_factory=dict)   # name -> file under /dev/pipes


def command(run: I.Run, shell: list[str]) -> Command:
    if not run.shell_form:
        return Command(list(run.cmd))
    line = run.cmd[0] if run.cmd else ""
    if not run.heredocs:
        return Command([*shell, line])
    from teu.build.dockerfile.parser import parse_heredoc

    only = parse_heredoc(line)
    if only is not None and len(run.heredocs) == 1:
        doc = run.heredocs[0]
        data = doc.data()
        if data.startswith("#!"):
            return Command([f"/dev/pipes/{doc.name}"], {doc.name: data.encode()})
        return Command([*shell, data])
    full = line
    for doc in run.heredocs:
        full += "\n" + doc.content + doc.name
    return Command([*shell, full])


def history_line(args: list[str], build_args: list[tuple[str, str]]) -> str:
    """BuildKit's created_by for RUN: `RUN |N K=V ... ARGV # buildkit`."""
    parts = [f"|{len(build_args)}", *(f"{k}={v}" for k, v in build_args)] if build_args \
        else []
    return "RUN " + " ".join([*parts, *args]) + " # buildkit"


# -- running -----------------------------------------------------------------------------


@record
class RunSpec:
    args: list[str]
    env: list[str]
    cwd: str
    user: str
    network: str
    privileged: bool
    mounts: list[dict]          # OCI mounts
    scripts: dict[str, bytes]


class Output:
    """The command's stdout+stderr: shown line by line (or not), the last lines kept."""

    def __init__(self, show: Callable[[str], None] | None) -> None:
        self.show = show
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL)
        self.r, self.w = os.pipe2(os.O_CLOEXEC)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        buf = b""
        while True:
            try:
                data = os.read(self.r, 65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                self._line(raw)
        if buf:
            self._line(buf)
        os.close(self.r)

    def _line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        self.tail.append(text)
        if self.show is not None:
            self.show(text)

    def close_writer(self) -> None:
        if self.w >= 0:
            os.close(self.w)
            self.w = -1

    def finish(self) -> list[str]:
        self.close_writer()
        self.thread.join(timeout=10)
        return list(self.tail)


def execute(paths, rootfs: str, spec: RunSpec, tmpdir: str,  # noqa: ANN001
            show: Callable[[str], None] | None) -> None:
    """Run the command in rootfs; StepFailed with the exit code and the last lines."""
    from teu.engine.lifecycle import oneshot

    mounts = list(spec.mounts)
    if spec.scripts:
        pipes = os.path.join(tmpdir, "pipes")
        os.makedirs(pipes, mode=0o755, exist_ok=True)
        for name, data in spec.scripts.items():
            p = os.path.join(pipes, os.path.basename(name))
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o755)
        mounts.append({"destination": "/dev/pipes", "type": "bind", "source": pipes,
                       "options": ["rbind", "ro"]})
    stubs = [*STUBS, *(m["destination"] for m in mounts)]
    missing = _missing(rootfs, stubs)
    _ensure_dir(rootfs, spec.cwd, spec.user)
    out = Output(show)
    job = oneshot.OneShot(rootfs=rootfs, args=spec.args, env=spec.env, cwd=spec.cwd,
                          user=spec.user, network=spec.network, mounts=mounts,
                          privileged=spec.privileged, stdout=out.w, stderr=out.w)
    try:
        code = oneshot.run(paths, job, name="build")
    except Exception as e:
        out.finish()
        _remove_stubs(rootfs, missing)
        from teu.errors import TeuError

        if isinstance(e, TeuError):
            raise BuildError(f"process \"{' '.join(spec.args)}\" could not start: {e}") \
                from None
        raise
    finally:
        out.close_writer()
    tail = out.finish()
    _remove_stubs(rootfs, missing)
    if code != 0:
        raise StepFailed(f"process \"{' '.join(spec.args)}\" did not complete successfully: "
                         f"exit code: {code}", code, tail)


def _missing(rootfs: str, paths: list[str]) -> list[str]:
    """The mount points (and their missing parents) that do not exist in the image."""
    from teu.runtime.rootfs import resolve_in_root

    out: list[str] = []
    for p in paths:
        parts = [x for x in p.split("/") if x]
        for k in range(1, len(parts) + 1):
            sub = "/" + "/".join(parts[:k])
            if sub in out:
                continue
            if not os.path.lexists(resolve_in_root(rootfs, sub)):
                out.append(sub)
    return out


def _remove_stubs(rootfs: str, stubs: list[str]) -> None:
    from teu.runtime.rootfs import resolve_in_root

    for p in sorted(stubs, key=lambda s: s.count("/"), reverse=True):
        host = resolve_in_root(rootfs, p)
        try:
            if os.path.isdir(host) and not os.path.islink(host):
                os.rmdir(host)  # only if empty: what the command put there stays
            elif os.path.isfile(host) and os.path.getsize(host) == 0:
                os.unlink(host)
        except OSError:
            pass


def _ensure_dir(rootfs: str, cwd: str, user: str) -> None:
    from teu.runtime.rootfs import resolve_in_root

    host = resolve_in_root(rootfs, cwd or "/")
    if not os.path.isdir(host):
        os.makedirs(host, mode=0o755, exist_ok=True)


def cache_dir(root: str, mount: Mount) -> str:
    """A cache mount's directory, kept across builds under <root>/build-cache/."""
    name = D.compute(mount.id.encode()).encoded[:32]
    path = os.path.join(root, "build-cache", "mounts", name)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o755, exist_ok=True)
        os.chown(path, mount.uid or 0, mount.gid or 0)
        os.chmod(path, mount.mode if mount.mode is not None else 0o755)
    return path
