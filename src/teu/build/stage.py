"""One stage, instruction by instruction: the image config and history as BuildKit
writes them, layers from RUN, COPY, ADD and WORKDIR, each looked up in the cache
first.

State of a stage as it goes (`State`): the image config (docker's JSON), the layers
(the base image's, then the new ones), the cache key of everything so far, the
stage's ARG scope. Metadata instructions change the config and the key, never the
filesystem.
"""

from __future__ import annotations

import os
import posixpath
import time

from teu import fastjson
from teu.build import cache as C
from teu.build.args import PROXY, ArgScope
from teu.build.dockerfile import instructions as I
from teu.build.dockerfile.lexer import Lex, LexError
from teu.build.errors import BuildError, DockerfileError, StepFailed
from teu.build.layers import LayerRef, Overlay, Workdir, commit
from teu.build.record import field, record
from teu.build.steps import copy as CP
from teu.build.steps import run as RUN

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from teu.build.builder import Builder as Build

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
HISTORY_COMMENT = "buildkit.dockerfile.v0"


@record
class State:
    config: dict
    layers: list[LayerRef]
    key: str
    args: ArgScope
    new_history: list[dict] = field(default_factory=list)
    cmd_set: bool = False
    workdir_set: bool = False
    last_created: str = ""   # the newest layer's time: what metadata steps are dated

    @property
    def cc(self) -> dict:
        return self.config.setdefault("config", {})

    def env(self) -> dict[str, str]:
        out = {}
        for item in self.cc.get("Env") or []:
            k, _, v = item.partition("=")
            out[k] = v
        return out

    def expansion_env(self) -> dict[str, str]:
        """What $VAR means in an instruction: the stage's ARGs, ENV over them."""
        return {**self.args.values, **self.env()}

    def run_env(self) -> list[str]:
        env = self.env()
        merged = dict(env)
        for k, v in self.args.values.items():
            if k not in env:
                merged[k] = v
        if "PATH" not in merged:
            merged["PATH"] = DEFAULT_PATH
        return [f"{k}={v}" for k, v in merged.items()]


def now_iso(epoch: int | None) -> str:
    t = time.gmtime(epoch) if epoch is not None else time.gmtime()
    frac = "" if epoch is not None else f".{int(time.time() * 1e9) % 1_000_000_000:09d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + frac + "Z"


def go_quote(items: list[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(fastjson.dumps(s) for s in items) + "]"


def go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def go_duration(ns: int) -> str:
    if ns == 0:
        return "0s"
    s = ns / 1e9
    out = ""
    if s >= 3600:
        out += f"{int(s // 3600)}h"
        s %= 3600
    if s >= 60 or out:
        out += f"{int(s // 60)}m"
        s %= 60
    frac = f"{s:.9f}".rstrip("0").rstrip(".")
    return out + frac + "s"


class StageBuilder:
    def __init__(self, build: Build, stage: I.Stage, state: State, label: str) -> None:
        self.b = build
        self.stage = stage
        self.s = state
        self.label = label
        self.total = len(stage.commands) + 1
        self.lex = Lex(build.dockerfile.parsed.escape)

    # -- helpers ------------------------------------------------------------------------

    def expand(self, ins: I.Instruction, text: str, words: bool = False):  # noqa: ANN201
        env = self.s.expansion_env()
        try:
            r = self.lex.process(text, env)
        except LexError as e:
            raise DockerfileError(str(e), ins.line, self.b.opts.dockerfile_name,
                                  ins.keyword) from None
        for name in sorted(r.unmatched):
            self.b.checks.undefined_var(ins, name, env)
        return r.words if words else r.result

    def history(self, created_by: str, empty: bool, created: str | None = None) -> None:
        """A history entry. Metadata steps take the time of the newest layer (so a fully
        cached build gives the same image, as BuildKit's does)."""
        if created:
            self.s.last_created = created
        when = created or self.s.last_created or now_iso(self.b.epoch)
        entry = {"created": when, "created_by": created_by, "comment": HISTORY_COMMENT}
        if empty:
            entry["empty_layer"] = True
        self.s.new_history.append(entry)

    def step(self, index: int, ins: I.Instruction, text: str | None = None):  # noqa: ANN201
        shown = text if text is not None else " ".join(ins.source().split())
        name = f"[{self.label}{index}/{self.total}] {shown}"
        return self.b.progress.vertex(name), name

    def layer_dirs(self) -> list[str]:
        return [self.b.paths.layer(r.chain_id) for r in self.s.layers]

    def parent_chain(self) -> str | None:
        return self.s.layers[-1].chain_id if self.s.layers else None

    def lookup(self, key: str) -> tuple[LayerRef | None, str] | None:
        if self.b.no_cache_for(self.stage):
            return None
        hit = self.b.cache.get(key)
        if hit is None:
            return None
        self.b.used_keys.add(key)
        layer, created = hit
        if layer is not None:
            expected = C_chain(self.parent_chain(), layer.diff_id)
            if expected != layer.chain_id:
                layer = LayerRef(expected, layer.diff_id, layer.blob, layer.size,
                                 layer.blob_size, layer.media_type)
            if not os.path.isdir(self.b.paths.layer(layer.chain_id)) and \
                    not self.b.unpack([layer]):
                self.b.cache.forget(key)
                return None
        return layer, created

    def add_layer(self, key: str, layer: LayerRef, created: str) -> None:
        self.s.layers.append(layer)
        self.s.key = key
        self.b.cache.put(key, layer, created)
        self.b.used_keys.add(key)

    # -- the instructions -----------------------------------------------------------------

    def run_all(self) -> State:
        for i, ins in enumerate(self.stage.commands, start=2):
            if self.b.cancelled:
                raise BuildError("cancelled")
            try:
                self.dispatch(i, ins)
            except DockerfileError:
                raise
            except StepFailed:
                raise
            except BuildError as e:
                if not str(e).startswith(self.b.opts.dockerfile_name):
                    raise BuildError(f"{self.b.opts.dockerfile_name}:{ins.line}: {e}") \
                        from None
                raise
        return self.s

    def dispatch(self, index: int, ins: I.Instruction) -> None:
        handler = getattr(self, "do_" + type(ins).__name__.lower())
        handler(index, ins)

    def _meta(self, ins: I.Instruction, history: str | None) -> None:
        self.s.key = C.key(self.s.key, ins.keyword, history or "", C.canonical(self.s.cc))
        if history is not None:
            self.history(history, empty=True)

    def do_arg(self, index: int, ins: I.Arg) -> None:
        parts = []
        for k, default in ins.pairs:
            value = self.expand(ins, default) if default is not None else None
            got = self.s.args.declare(k, value)
            parts.append(f"{k}={got}" if got is not None else k)
        self.b.checks.arg_or_env_secret(ins, [k for k, _ in ins.pairs])
        self.s.key = C.key(self.s.key, "ARG", {k: self.s.args.values.get(k)
                                               for k, _ in ins.pairs if k not in PROXY})
        self.history("ARG " + " ".join(parts), empty=True)

    def do_env(self, index: int, ins: I.Env) -> None:
        # Every value is expanded with the environment from before the instruction
        # (`ENV a=new b=$a` gives b the old a), as docker does; a key already set keeps
        # its place in Env.
        pairs = [(self.expand(ins, k), self.expand(ins, v)) for k, v in ins.pairs]
        env = list(self.s.cc.get("Env") or [])
        parts = []
        for key, value in pairs:
            keys = [e.partition("=")[0] for e in env]
            if key in keys:
                env[keys.index(key)] = f"{key}={value}"
            else:
                env.append(f"{key}={value}")
            parts.append(f"{key}={value}")
        self.s.cc["Env"] = env
        self.b.checks.arg_or_env_secret(ins, [k for k, _ in ins.pairs])
        self._meta(ins, "ENV " + " ".join(parts))

    def do_label(self, index: int, ins: I.Label) -> None:
        labels = dict(self.s.cc.get("Labels") or {})
        parts = []
        for k, v in ins.pairs:
            key, value = self.expand(ins, k), self.expand(ins, v)
            labels[key] = value
            parts.append(f"{key}={value}")
        self.s.cc["Labels"] = labels
        self._meta(ins, "LABEL " + " ".join(parts))

    def _cmdline(self, ins: I.Cmd | I.Entrypoint) -> list[str]:
        if not ins.cmd:
            return []
        if ins.shell_form:
            shell = self.s.cc.get("Shell") or DEFAULT_SHELL
            return [*shell, ins.cmd[0]]
        return list(ins.cmd)

    def do_cmd(self, index: int, ins: I.Cmd) -> None:
        args = self._cmdline(ins)
        self.s.cc["Cmd"] = args
        self.s.cmd_set = True
        self._meta(ins, f"CMD {go_quote(args)}")

    def do_entrypoint(self, index: int, ins: I.Entrypoint) -> None:
        args = self._cmdline(ins)
        self.s.cc["Entrypoint"] = args or None
        if not self.s.cmd_set:
            self.s.cc["Cmd"] = None
        self._meta(ins, f"ENTRYPOINT {go_quote(args)}")

    def do_expose(self, index: int, ins: I.Expose) -> None:
        ports = []
        for p in ins.ports:
            ports += self.expand(ins, p, words=True)
        specs = []
        for p in ports:
            port, _, proto = p.partition("/")
            proto = (proto or "tcp").lower()
            if not port or not all(c.isdigit() or c == "-" for c in port):
                raise DockerfileError(f"invalid containerPort: {port}", ins.line,
                                      self.b.opts.dockerfile_name, "EXPOSE")
            if "-" in port:
                lo, _, hi = port.partition("-")
                specs += [f"{n}/{proto}" for n in range(int(lo), int(hi) + 1)]
            else:
                specs.append(f"{port}/{proto}")
        exposed = dict(self.s.cc.get("ExposedPorts") or {})
        for s in specs:
            exposed[s] = {}
        self.s.cc["ExposedPorts"] = exposed
        self._meta(ins, f"EXPOSE {go_list(specs)}")

    def do_volume(self, index: int, ins: I.Volume) -> None:
        vols = dict(self.s.cc.get("Volumes") or {})
        paths = [self.expand(ins, p) for p in ins.paths]
        for p in paths:
            if not p:
                raise DockerfileError("VOLUME specified can not be an empty string",
                                      ins.line, self.b.opts.dockerfile_name)
            vols[p] = {}
        self.s.cc["Volumes"] = vols
        self._meta(ins, f"VOLUME {go_list(paths)}")

    def do_user(self, index: int, ins: I.User) -> None:
        user = self.expand(ins, ins.user)
        self.s.cc["User"] = user
        self._meta(ins, f"USER {user}")

    def do_stopsignal(self, index: int, ins: I.StopSignal) -> None:
        sig = self.expand(ins, ins.signal)
        self.s.cc["StopSignal"] = sig
        self._meta(ins, f"STOPSIGNAL {sig}")

    def do_shell(self, index: int, ins: I.Shell) -> None:
        self.s.cc["Shell"] = list(ins.shell)
        self._meta(ins, f"SHELL {go_list(ins.shell)}")

    def do_maintainer(self, index: int, ins: I.Maintainer) -> None:
        self.s.config["author"] = ins.name
        self._meta(ins, f"MAINTAINER {ins.name}")

    def do_onbuild(self, index: int, ins: I.OnBuild) -> None:
        self.s.cc["OnBuild"] = [*(self.s.cc.get("OnBuild") or []), ins.expression]
        self._meta(ins, None)

    def do_healthcheck(self, index: int, ins: I.Healthcheck) -> None:
        hc: dict = {"Test": list(ins.test)}
        if ins.test != ["NONE"]:
            for k, v in (("Interval", ins.interval), ("Timeout", ins.timeout),
                         ("StartPeriod", ins.start_period),
                         ("StartInterval", ins.start_interval)):
                if v:
                    hc[k] = v
            if ins.retries:
                hc["Retries"] = ins.retries
        self.s.cc["Healthcheck"] = hc
        text = (f"{{Test:{go_list(ins.test)} Interval:{go_duration(ins.interval)} "
                f"Timeout:{go_duration(ins.timeout)} StartPeriod:{go_duration(ins.start_period)} "
                f"StartInterval:{go_duration(ins.start_interval)} Retries:{ins.retries}}}")
        self._meta(ins, f"HEALTHCHECK {text}")

    def do_workdir(self, index: int, ins: I.Workdir) -> None:
        path = self.expand(ins, ins.path)
        if not self.s.workdir_set and not path.startswith("/"):
            self.b.checks.workdir_relative(ins, path)
        self.s.workdir_set = True
        wd = posixpath.normpath(posixpath.join(self.s.cc.get("WorkingDir") or "/", path))
        self.s.cc["WorkingDir"] = wd
        if wd == "/":
            self._meta(ins, "WORKDIR /")
            return
        key = C.key(self.s.key, "WORKDIR", wd, self.s.cc.get("User") or "")
        hit = self.lookup(key)  # first: a hit needs no look at the image's files
        if hit is not None:
            layer, created = hit
            self.s.key = key
            if layer is None:  # the directory was there: no layer
                self.history(f"WORKDIR {wd}", empty=True)
                return
            v, _ = self.step(index, ins, f"WORKDIR {wd}")
            self.s.layers.append(layer)
            v.cached()
            self.history(f"WORKDIR {wd}", empty=False, created=created)
            return
        from teu.image.rootfs import LayeredFS

        fs = LayeredFS(self.layer_dirs())
        host = fs.resolve(wd)
        if host is not None and os.path.isdir(host):
            self.b.cache.put(key, None, "")
            self.b.used_keys.add(key)
            self.s.key = key
            self.history(f"WORKDIR {wd}", empty=True)
            return
        v, _ = self.step(index, ins, f"WORKDIR {wd}")
        work = Workdir(self.b.store, "workdir")
        try:
            ov = Overlay(work, self.layer_dirs())
            try:
                owner = (0, 0)
                user = self.s.cc.get("User") or ""
                if user:
                    owner = CP.parse_chown(user, fs.read)
                CP.apply(CP.Plan(), ov.rootfs, owner)
                CP._make_dirs(ov.rootfs, wd, owner, False)
            finally:
                ov.unmount()
            created = now_iso(self.b.epoch)
            layer = commit(self.b.store, ov.upper, self.parent_chain(), work, self.b.epoch)
        finally:
            work.remove()
        self.add_layer(key, layer, created)
        self.history(f"WORKDIR {wd}", empty=False, created=created)
        v.done()

    # -- RUN ---------------------------------------------------------------------------

    def do_run(self, index: int, ins: I.Run) -> None:
        shell = self.s.cc.get("Shell") or DEFAULT_SHELL
        cmd = RUN.command(ins, shell)
        network = self.expand(ins, ins.network) if ins.network else "default"
        if network not in ("default", "none", "host"):
            raise BuildError(f"RUN --network={network}: only default, none and host")
        if network == "default":
            network = self.b.opts.network
        if network == "default":
            # BuildKit's default: the engine's default network (docker's bridge; teu's
            # default is TEU_NETWORK or teu.conf's `network`, else `bridge`).
            network = self.b.default_network()
        security = ins.security or "sandbox"
        if security not in ("sandbox", "insecure"):
            raise BuildError(f"RUN --security={security}: only sandbox and insecure")
        if security == "insecure" and "security.insecure" not in self.b.opts.allow:
            raise BuildError("RUN --security=insecure needs `teu build --allow "
                             "security.insecure`")
        if network == "host" and self.b.opts.network != "host" \
                and "network.host" not in self.b.opts.allow and ins.network:
            raise BuildError("RUN --network=host needs `teu build --allow network.host`")
        mounts = []
        for spec in ins.mounts:
            try:
                mounts.append(RUN.parse_mount(self.expand(ins, spec)))
            except BuildError as e:
                raise BuildError(f"RUN --mount={spec}: {e}") from None
        env = self.s.run_env()
        user = self.s.cc.get("User") or ""
        cwd = self.s.cc.get("WorkingDir") or "/"
        hist_args = self.s.args.history_pairs()
        created_by = RUN.history_line(cmd.args, hist_args)
        bind_keys = [self.b.mount_key(m, ins) for m in mounts]
        key = C.key(self.s.key, "RUN", cmd.args, sorted(env), user, cwd, network, security,
                    [m.key() for m in mounts], bind_keys,
                    sorted((k, v.decode("utf-8", "replace")) for k, v in cmd.scripts.items()))
        shown = "RUN " + (" ".join(ins.original.strip().split(None, 1)[1:]) or "")
        if ins.heredocs:
            shown += "".join(f"\n{h.content}{h.name}" for h in ins.heredocs)
        v, vname = self.step(index, ins, " ".join(shown.split()) if not ins.heredocs
                             else shown.splitlines()[0])
        hit = self.lookup(key)
        if hit is not None:
            layer, created = hit
            self.s.layers.append(layer)  # type: ignore[arg-type]
            self.s.key = key
            v.cached()
            self.history(created_by, empty=False, created=created)
            return
        work = Workdir(self.b.store, "run")
        try:
            ov = Overlay(work, self.layer_dirs())
            try:
                oci_mounts, extra_env = self.b.mounts_for(mounts, work, ins)
                spec = RUN.RunSpec(args=cmd.args,
                                   env=env + [f"{k}={v}" for k, v in
                                              self.s.args.proxies().items()] + extra_env,
                                   cwd=cwd, user=user, network=network,
                                   privileged=security == "insecure", mounts=oci_mounts,
                                   scripts=cmd.scripts)
                show = None if self.b.progress.quiet else v.log
                try:
                    RUN.execute(self.b.paths, ov.rootfs, spec, work.sub("pipes-src"), show)
                except StepFailed as e:
                    v.error(str(e))
                    self.b.progress.failure(vname, str(e), e.tail)
                    raise StepFailed(f"{self.b.opts.dockerfile_name}:{ins.line}: {vname}: "
                                     f"{e}", e.code, e.tail) from None
                except BuildError as e:
                    v.error(str(e))
                    raise
            finally:
                ov.unmount()
            created = now_iso(self.b.epoch)
            layer = commit(self.b.store, ov.upper, self.parent_chain(), work, self.b.epoch)
        finally:
            work.remove()
        self.add_layer(key, layer, created)
        self.history(created_by, empty=False, created=created)
        v.done()

    # -- COPY and ADD ------------------------------------------------------------------

    def do_copy(self, index: int, ins: I.Copy) -> None:
        self._copy(index, ins, ins.from_)

    def do_add(self, index: int, ins: I.Add) -> None:
        self._copy(index, ins, "")

    def _copy(self, index: int, ins: I.CopyLike, from_: str) -> None:
        word = ins.keyword
        chown_text = self.expand(ins, ins.chown) if ins.chown else ""
        chmod = self.expand(ins, ins.chmod) if ins.chmod else ""
        dest = self.expand(ins, ins.dest)
        workdir = self.s.cc.get("WorkingDir") or "/"
        target, _ = CP.dest_path(dest, workdir)
        from_ = self.expand(ins, from_) if from_ else ""
        if from_:
            idx = self.b.stage_ref(from_, len(self.b.dockerfile.stages))
            if idx is not None:
                self.b.wait_stage(idx)  # before this step's line: it waits for that stage
        v, vname = self.step(index, ins)
        source = None
        release = None
        try:
            plan = CP.Plan()
            sources = [self.expand(ins, s) for s in ins.sources]
            remote = [s for s in sources if isinstance(ins, I.Add) and _is_remote(s)]
            local = [s for s in sources if s not in remote]
            excludes = [self.expand(ins, e) for e in ins.excludes]
            history = self._copy_history(ins, sources, dest)
            quick = None
            state_key = ""
            if not remote:
                # The key from what the sources hold and the instruction as written: the
                # destination image is the parent's (in the key), so a hit needs no look
                # at it, and no mount of a source stage (its key says what it holds).
                if from_ and from_ not in self.b.opts.build_contexts:
                    content = self.b.source_key(from_)
                else:
                    source, release = self.b.source_for(from_, ins)
                    content = CP.source_digest(source, local, f"{word} {' '.join(local)}",
                                               excludes) if local else ""
                quick = C.key("link" if ins.link else self.s.key, word, "from", content,
                              local, target, dest, chown_text, chmod, excludes,
                              getattr(ins, "parents", False), ins.link,
                              [(h.name, h.content, h.expand) for h in ins.contents])
                # --link: the layer does not depend on what is below it, so neither does
                # its cache entry (BuildKit's rebase); what follows still does.
                state_key = C.key(self.s.key, quick) if ins.link else quick
                hit = self.lookup(quick)
                if hit is not None:
                    layer, created = hit
                    self.s.layers.append(layer)  # type: ignore[arg-type]
                    self.s.key = state_key
                    v.cached()
                    self.history(history, empty=False, created=created)
                    return
            from teu.image.rootfs import LayeredFS

            fs = LayeredFS(self.layer_dirs())
            chown = CP.parse_chown(chown_text, fs.read) if chown_text else None
            dest_host = fs.resolve(target)
            dest_is_dir = dest_host is not None and os.path.isdir(dest_host) and not ins.link
            if local:
                if source is None:
                    source, release = self.b.source_for(from_, ins)
                plan = CP.plan(source, local, dest, workdir, f"{word} {' '.join(local)}",
                               chown=chown, chmod=chmod,
                               parents=getattr(ins, "parents", False),
                               excludes=excludes,
                               dest_is_dir_in_image=dest_is_dir or len(sources) > 1,
                               extract=isinstance(ins, I.Add))
            for s in remote:
                from teu.build.steps.remote import fetch

                plan.items += fetch(self.b, ins, s, target,
                                    dest.endswith("/") or dest_is_dir or len(sources) > 1,
                                    chown, chmod)
            octal, clauses = CP.parse_chmod(chmod) if chmod else (None, [])
            for h in ins.contents:
                data = h.data()
                if h.expand:
                    data = self.expand(ins, data)
                into = dest.endswith("/") or dest_is_dir or \
                    len(ins.contents) + len(sources) > 1
                path = posixpath.join(target, h.name) if into else target
                mode = CP.apply_chmod(0o644, octal, clauses, False) if chmod else 0o644
                plan.items.append(CP.data_item(path, data.encode(), mode, chown))
            key_parent = "link" if ins.link else self.s.key
            key = C.key(key_parent, word, target, plan.digest(), chown, chmod, ins.link,
                        from_ and self.b.source_key(from_))
            # The entry's key, and the stage's key after the step: with --link the entry
            # does not depend on the layers below (from a URL or git as from the context).
            full_key = quick or key
            if not quick:
                state_key = C.key(self.s.key, key) if ins.link else key
            hit = self.lookup(full_key)
            if hit is not None:
                layer, created = hit
                self.s.layers.append(layer)  # type: ignore[arg-type]
                self.s.key = state_key
                v.cached()
                self.history(history, empty=False, created=created)
                return
            work = Workdir(self.b.store, "copy")
            try:
                if ins.link:
                    upper = work.sub("upper")
                    CP.apply(plan, upper, chown, link=True)
                else:
                    ov = Overlay(work, self.layer_dirs())
                    try:
                        CP.apply(plan, ov.rootfs, chown)
                    finally:
                        ov.unmount()
                    upper = ov.upper
                created = now_iso(self.b.epoch)
                layer = commit(self.b.store, upper, self.parent_chain(), work, self.b.epoch)
            except OSError as e:
                v.error(str(e))
                raise BuildError(f"{word}: writing {e.filename or ''}: {e.strerror}") from None
            finally:
                work.remove()
        except BuildError as e:
            v.error(str(e))
            raise
        finally:
            if release is not None:
                release()
        self.add_layer(full_key, layer, created)
        self.s.key = state_key
        self.history(history, empty=False, created=created)
        v.done()

    def _copy_history(self, ins: I.CopyLike, sources: list[str], dest: str) -> str:
        parts = [ins.keyword]
        if getattr(ins, "parents", False):
            parts.append("--parents")
        if ins.chown:
            parts.append(f"--chown={ins.chown}")
        if ins.chmod:
            parts.append(f"--chmod={ins.chmod}")
        parts += sources
        parts += [f"<<{h.name}" for h in ins.contents]
        parts.append(dest)
        return " ".join(parts) + " # buildkit"


def C_chain(parent: str | None, diff_id: str) -> str:
    from teu.build.layers import chain

    return chain(parent, diff_id)


def _is_remote(src: str) -> bool:
    return src.startswith(("http://", "https://", "git@")) or ".git#" in src \
        or src.endswith(".git")


def clone_state(state: State) -> State:
    return State(json_copy(state.config), list(state.layers), state.key, state.args)


def json_copy(value):  # noqa: ANN001, ANN202 - JSON data
    """copy.deepcopy of JSON data (an image config), without importing copy."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value
