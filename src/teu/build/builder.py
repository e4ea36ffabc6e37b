"""A build from Dockerfile and context to an image in teu's store.

    opts = BuildOptions(context="app", tags=["app:1"])
    result = Builder(opts).run()         # -> BuildResult(image_id, ...)

The stages the target needs (its FROM chain, COPY --from and RUN --mount from=)
are built, each in a thread as soon as what it needs is done, so independent
stages run in parallel; the others are skipped. The image is registered (and
tagged) only when every step succeeded: a failed or interrupted build tags
nothing and leaves the store as it was, plus the layers of the steps that
finished, which the cache reuses next time.
"""

from __future__ import annotations

import os
import sys
import threading

from teu.build import cache as C
from teu.build.args import ArgScope, platform_args
from teu.build.checks import Checks
from teu.build.context import Source, load_ignore
from teu.build.dockerfile import instructions as I
from teu.build.dockerfile.lexer import Lex, LexError
from teu.build.errors import BuildError, DockerfileError
from teu.build.layers import LAYER_TYPE, LayerRef, Overlay, Workdir
from teu.build.progress import Progress
from teu.build.record import field, record
from teu.build.stage import DEFAULT_PATH, StageBuilder, State, json_copy, now_iso
from teu.build.steps import run as RUN

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from collections.abc import Callable


@record
class Secret:
    id: str
    src: str = ""
    env: str = ""

    def value(self) -> bytes:
        if self.env:
            v = os.environ.get(self.env)
            if v is None:
                raise BuildError(f"secret {self.id}: environment variable {self.env} is not set")
            return v.encode()
        try:
            with open(self.src, "rb") as f:
                return f.read()
        except OSError as e:
            raise BuildError(f"secret {self.id}: {self.src}: {e.strerror}") from None


@record
class BuildOptions:
    context: str = "."
    dockerfile: str | None = None          # a path; None: <context>/Dockerfile
    dockerfile_text: bytes | None = None   # -f -: the Dockerfile itself
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    no_cache_filter: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    progress: str = "plain"
    platform: str = ""
    secrets: dict[str, Secret] = field(default_factory=dict)
    ssh: list[str] = field(default_factory=list)
    network: str = "default"
    allow: list[str] = field(default_factory=list)
    build_contexts: dict[str, str] = field(default_factory=dict)
    pull: bool = False
    root: str | None = None
    runroot: str | None = None
    dockerfile_name: str = "Dockerfile"


@record
class BuildResult:
    image_id: str
    manifest_digest: str
    tags: list[str]
    warnings: list[str]
    config: dict
    layers: list[LayerRef] = field(default_factory=list)


class Builder:
    def __init__(self, opts: BuildOptions, out=None) -> None:  # noqa: ANN001
        from teu.engine.paths import Paths

        self.opts = opts
        self.paths = Paths(opts.root, opts.runroot)
        self._store = None  # teu.image.store.Store, opened when a step needs more than reads
        self.progress = Progress(opts.progress, out)
        self.cache = _LockedCache(C.Cache(self.paths.root))
        self.states: dict[int, _Job] = {}
        self._images: dict[str, tuple[str, list[LayerRef], dict]] = {}
        self._lock = threading.Lock()
        self.cancelled = False
        self.used_keys: set[str] = set()  # the cache entries this build used or made
        self._default_network: str | None = None

    @property
    def store(self):  # noqa: ANN201 - a teu.image.store.Store
        """The image store, imported and opened on first use: a fully cached build reads
        the index with one query (see image(), _write()) and never needs it."""
        if self._store is None:
            from teu.image.store import Store

            self._store = Store(self.paths.root)
        return self._store

    def unpack(self, layers: list[LayerRef]) -> bool:
        """The layers' directories made from their blobs; False if a blob is gone too."""
        from teu.build.layers import ensure_unpacked

        return ensure_unpacked(self.store, layers)

    # -- the whole build -------------------------------------------------------------

    def load(self) -> I.Dockerfile:
        o = self.opts
        if o.dockerfile_text is not None:
            text = o.dockerfile_text
        else:
            path = o.dockerfile or os.path.join(o.context, "Dockerfile")
            try:
                with open(path, "rb") as f:
                    text = f.read()
            except FileNotFoundError:
                raise BuildError(f"failed to read dockerfile: open {path}: no such file or "
                                 "directory") from None
            except OSError as e:
                raise BuildError(f"failed to read dockerfile {path}: {e.strerror}") from None
            if o.dockerfile:
                o.dockerfile_name = os.path.basename(o.dockerfile)
        return I.load(text, o.dockerfile_name)

    def run(self) -> BuildResult:
        from teu.build.checks import check_directive

        o = self.opts
        if not os.path.isdir(o.context):
            raise BuildError(f"unable to prepare context: path {o.context!r} not found")
        self._check_platform(o.platform)
        tags = self._tags()
        self.dockerfile = df = self.load()
        self.checks = Checks(o.dockerfile_name, check_directive(df.parsed))
        self.checks.static(df)
        self.epoch = self._epoch()
        self.context = Source(o.context, "context",
                              load_ignore(o.context, None if o.dockerfile_text is not None
                                          else o.dockerfile or
                                          os.path.join(o.context, "Dockerfile")))
        from teu.oci.platform import host

        plat = host()
        self.platform_args = platform_args(plat.os, plat.architecture, plat.variant or "")
        self.globals_ = self._global_args(df)
        target = self._target(df)
        needed = self._needed(df, target.index)
        from teu.build.layers import sweep_stale
        from teu.engine.lifecycle import oneshot
        from teu.image.storelock import StoreLock

        # No mount namespace here: each stage's thread makes its own when it first mounts
        # (teu.build.layers.private_mounts).
        with StoreLock(self.paths.root):  # the store's, shared: GC waits for the build
            sweep_stale(self.paths.root)
            oneshot.sweep(self.paths)
            self._sweep_secrets()
            try:
                final = self._run_stages(df, needed, target.index)
                result = self._write(final, tags)
            finally:
                oneshot.settle()  # the RUNs' networks released (their DELs ran meanwhile)
        for line in self.checks.lines():
            self.progress.warn(f" - {line}")
        unused = sorted(set(o.build_args) - self._used_args - set(self.platform_args)
                        - {"SOURCE_DATE_EPOCH"} - set(_proxy_names()))
        if unused:
            self.progress.warn(f"[Warning] One or more build-args {unused} were not consumed")
        return result

    def _check_platform(self, platform: str) -> None:
        if not platform:
            return
        from teu.oci.platform import Platform, host

        h = host()
        for p in platform.split(","):
            try:
                want = Platform.parse(p.strip())
            except Exception:  # noqa: BLE001 - any parse failure is the same to the user
                raise BuildError(f"invalid platform {p!r}") from None
            if want.os != h.os or want.architecture != h.architecture:
                raise BuildError(f"--platform {p}: teu builds for this machine's platform only "
                                 f"({h.os}/{h.architecture}); no emulation is set up")

    def _tags(self) -> list[str]:
        out = []
        for t in self.opts.tags:
            plain = plain_tag(t)
            if plain is not None:
                out.append(plain)
                continue
            from teu.image import reference as R

            try:
                out.append(str(R.parse(t)))
            except R.ReferenceError as e:
                raise BuildError(f"invalid tag {t!r}: {e}") from None
        return out

    def _epoch(self) -> int | None:
        raw = self.opts.build_args.get("SOURCE_DATE_EPOCH") or \
            os.environ.get("SOURCE_DATE_EPOCH")
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise BuildError(f"SOURCE_DATE_EPOCH={raw!r}: not a number of seconds") from None

    def _global_args(self, df: I.Dockerfile) -> dict[str, str]:
        values = dict(self.platform_args)
        self._used_args: set[str] = set()
        lex = Lex(df.parsed.escape)
        for a in df.meta_args:
            for k, default in a.pairs:
                if k in self.opts.build_args:
                    values[k] = self.opts.build_args[k]
                    self._used_args.add(k)
                elif default is not None:
                    try:
                        values[k] = lex.word(default, values)
                    except LexError as e:
                        raise DockerfileError(str(e), a.line, self.opts.dockerfile_name,
                                              "ARG") from None
        return values

    def _target(self, df: I.Dockerfile) -> I.Stage:
        if not self.opts.target:
            return df.stages[-1]
        st = df.stage(self.opts.target)
        if st is None:
            names = ", ".join(s.name for s in df.stages if s.name) or "none"
            raise BuildError(f"target stage \"{self.opts.target}\" could not be found "
                             f"(stages: {names})")
        return st

    def expand_global(self, text: str, line: int) -> str:
        try:
            return Lex(self.dockerfile.parsed.escape).word(text, self.globals_)
        except LexError as e:
            raise DockerfileError(str(e), line, self.opts.dockerfile_name, "FROM") from None

    def stage_ref(self, ref: str, before: int) -> int | None:
        """The index of the stage `ref` names (a name or an index), if it is one."""
        st = self.dockerfile.stage(ref)
        if st is None:
            return None
        if st.index >= before:
            return None  # FROM a later stage's name means an image of that name
        return st.index

    def deps(self, st: I.Stage) -> set[int]:
        out = set()
        base = self.expand_global(st.base, st.from_.line)
        idx = self.stage_ref(base, st.index)
        if idx is not None:
            out.add(idx)
        for c in st.commands:
            refs: list[str] = []
            if isinstance(c, I.Copy) and c.from_:
                refs.append(c.from_)
            if isinstance(c, I.Run):
                for m in c.mounts:
                    try:
                        refs += [RUN.parse_mount(m).from_]
                    except BuildError:
                        pass
            for r in refs:
                if not r or r in self.opts.build_contexts:
                    continue
                i = self.stage_ref(self.expand_global(r, c.line), len(self.dockerfile.stages))
                if i is not None:
                    out.add(i)
        return out

    def _needed(self, df: I.Dockerfile, target: int) -> list[int]:
        seen: set[int] = set()
        order: list[int] = []
        path: list[int] = []

        def visit(i: int) -> None:
            if i in path:
                cycle = " -> ".join(df.stages[j].label() for j in [*path[path.index(i):], i])
                raise BuildError(f"circular dependency detected on stage: "
                                 f"{df.stages[i].label()} ({cycle})")
            if i in seen:
                return
            seen.add(i)
            path.append(i)
            for d in sorted(self.deps(df.stages[i])):
                visit(d)
            path.pop()
            order.append(i)

        visit(target)
        return order

    def _run_stages(self, df: I.Dockerfile, needed: list[int], target: int) -> State:
        label_prefix = len(df.stages) > 1
        for i in needed:
            st = df.stages[i]
            label = (st.label() + " ") if label_prefix else ""
            self.states[i] = _Job(self._stage, st, label)
        for job in self.states.values():
            job.start()
        try:
            return self.states[target].result()
        except BaseException:
            from teu.engine.lifecycle import oneshot

            self.cancelled = True
            oneshot.kill_all()  # the stages' threads end as their commands do
            for job in self.states.values():
                if job.is_alive():
                    job.join()
            raise

    def wait_stage(self, index: int) -> State:
        return self.states[index].result()

    def _stage(self, st: I.Stage, label: str) -> State:
        state = self._from(st, label)
        sb = StageBuilder(self, st, state, label)
        result = sb.run_all()
        with self._lock:
            self._used_args |= result.args.used
        return result

    def _from(self, st: I.Stage, label: str) -> State:
        f = st.from_
        base = self.expand_global(f.base, f.line)
        if f.platform:
            self._check_platform(self.expand_global(f.platform, f.line))
        scope = ArgScope(dict(self.opts.build_args), dict(self.globals_))
        v = self.progress.vertex(f"[{label}1/{len(st.commands) + 1}] FROM {base}")
        if not base:
            raise DockerfileError("base name (" + f.base + ") should not be blank", f.line,
                                  self.opts.dockerfile_name, "FROM")
        idx = self.stage_ref(base, st.index)
        if idx is not None:
            parent = self.wait_stage(idx)
            import copy

            state = State(copy.deepcopy(parent.config), list(parent.layers), parent.key,
                          scope)
            state.config["history"] = list(parent.config.get("history") or []) + \
                [dict(h) for h in parent.new_history]
            state.last_created = parent.last_created
            v.done()
        elif base.lower() == "scratch":
            from teu.oci.platform import host

            h = host()
            config = {"architecture": h.architecture, "os": h.os,
                      "config": {"Env": [f"PATH={DEFAULT_PATH}"]},
                      "rootfs": {"type": "layers", "diff_ids": []}, "history": []}
            if h.variant:
                config["variant"] = h.variant
            state = State(config, [], C.key("scratch"), scope)
            v.done()
        else:
            image_id, layers, config = self.image(base, f.line)
            config = json_copy(config)
            cc = config.setdefault("config", {})
            if not cc.get("Env"):
                cc["Env"] = [f"PATH={DEFAULT_PATH}"]
            state = State(config, list(layers), C.key("image", image_id), scope)
            state.last_created = now_iso(self.epoch) if self.epoch is not None \
                else config.get("created") or ""
            triggers = cc.pop("OnBuild", None) or []
            if triggers:
                self._onbuild(st, triggers)
            v.done()
        return state

    def _onbuild(self, st: I.Stage, triggers: list[str]) -> None:
        from teu.build.dockerfile import parser as P

        extra = []
        for t in triggers:
            try:
                node = P.parse(t).nodes[0]
                node.line = node.end_line = st.from_.line
                ins = I.instruction(node)
            except DockerfileError as e:
                raise BuildError(f"{self.opts.dockerfile_name}:{st.from_.line}: ONBUILD "
                                 f"trigger {t!r} of the base image: {e.reason}") from None
            extra.append(ins)
        st.commands[:0] = extra

    def image(self, name: str, line: int) -> tuple[str, list[LayerRef], dict]:
        """A base image from the store (pulled if missing): id, layers, config."""
        with self._lock:
            if name in self._images:
                return self._images[name]
            out = None if self.opts.pull else self._indexed_image(name)
            if out is not None:
                self._admit(name, out[0], line)
                self._images[name] = out
                return out
            import json

            from teu.image.errors import ImageNotFound
            from teu.image.store import Store

            store = Store(self.paths.root)
            try:
                try:
                    if self.opts.pull:
                        raise ImageNotFound(name)
                    # The ID, layers and config straight from the index and the blob (the
                    # store's image object would parse the manifest: not needed here).
                    image_id = store.resolve_id(name)
                    if image_id is None:
                        raise ImageNotFound(name)
                except ImageNotFound:
                    image_id = self._pull(store, name, line).id
                self._admit(name, image_id, line)
                rows = store.db.layers_of(image_id)
                layers = [LayerRef(r.chain_id, r.diff_id, r.blob, r.size,
                                   store.blobs.size(r.blob) or 0, _oci_type(r.media_type))
                          for r in rows]
                config = json.loads(store.blobs.read(image_id, verify=False))
                out = (image_id, layers, config)
            finally:
                store.close()
            self._images[name] = out
            return out

    def _indexed_image(self, name: str) -> tuple[str, list[LayerRef], dict] | None:
        """A plain tag's image straight from the index (one query, as teu run resolves
        its image: teu.engine.config.images) when its layers are unpacked; None sends the
        caller to the store (IDs, digests, odd names, a missing image or layer)."""
        from teu import fastjson
        from teu.engine.config.images import normalize

        full = normalize(name)
        if full is None or not os.path.exists(self.paths.db):
            return None
        import _sqlite3

        conn = _sqlite3.connect(self.paths.db, timeout=60)
        try:
            row = conn.execute("SELECT image_id FROM tags WHERE name=?", (full,)).fetchone()
            if row is None:
                return None
            image_id = row[0]
            rows = conn.execute(
                "SELECT il.chain_id, il.diff_id, il.blob, il.media_type, l.size FROM "
                "image_layers il LEFT JOIN layers l ON l.chain_id = il.chain_id WHERE "
                "il.image_id=? ORDER BY idx", (image_id,)).fetchall()
        except _sqlite3.Error:
            return None  # the tables are not there yet: the store makes them
        finally:
            conn.close()
        layers = []
        for chain_id, diff_id, blob, media_type, size in rows:
            try:
                blob_size = os.stat(self.paths.blob(blob)).st_size
            except OSError:
                blob_size = 0
            if not os.path.isdir(self.paths.layer(chain_id)):
                return None
            layers.append(LayerRef(chain_id, diff_id, blob, size or 0, blob_size,
                                   _oci_type(media_type)))
        try:
            with open(self.paths.blob(image_id), "rb") as f:
                config = fastjson.loads(f.read())
        except (OSError, ValueError):
            return None
        return image_id, layers, config

    def _admit(self, name: str, image_id: str, line: int) -> None:
        """The trust policy judges a FROM image as it judges teu run's (teu.trust)."""
        from teu.trust.enforce import check_run
        from teu.trust.errors import TrustError

        try:
            check_run(self.paths.root, name, image_id)
        except TrustError as e:
            raise BuildError(f"{self.opts.dockerfile_name}:{line}: FROM {name}: {e}") from None

    def _pull(self, store, name: str, line: int):  # noqa: ANN001, ANN202
        try:
            from teu.registry.client.pull import pull

            result = pull(store, name)
            return store.image(result.image_id)
        except Exception as e:  # noqa: BLE001 - one line for any pull failure
            raise BuildError(f"{self.opts.dockerfile_name}:{line}: FROM {name}: not in the "
                             f"local store and pulling it failed: {e}") from None

    def no_cache_for(self, st: I.Stage) -> bool:
        if self.opts.no_cache:
            return True
        f = self.opts.no_cache_filter
        return bool(f) and (st.name in f or str(st.index) in f)

    # -- sources for COPY --from and RUN --mount from= -----------------------------------

    def source_for(self, ref: str, ins: I.Instruction, current: int | None = None
                   ) -> tuple[Source, Callable[[], None] | None]:
        if not ref:
            return self.context, None
        if ref in self.opts.build_contexts:
            return self._named_context(ref)
        idx = self.stage_ref(ref, len(self.dockerfile.stages))
        if idx is not None:
            layers = self.wait_stage(idx).layers
            name = f"stage {ref}"
        else:
            try:
                _, layers, _ = self.image(ref, ins.line)
            except BuildError:
                raise BuildError(f"{ins.keyword} --from={ref}: no stage, build context or "
                                 "image of that name") from None
            name = f"image {ref}"
        if not layers:
            work = Workdir(self.store, "from")
            return Source(work.sub("empty"), name, keep_owner=True), work.remove
        work = Workdir(self.store, "from")
        try:
            ov = Overlay(work, [self.paths.layer(r.chain_id) for r in layers])
        except BaseException:
            work.remove()
            raise

        def release() -> None:
            ov.unmount()
            work.remove()

        return Source(ov.rootfs, name, keep_owner=True), release

    def _named_context(self, ref: str) -> tuple[Source, None]:
        value = self.opts.build_contexts[ref]
        if value.startswith("docker-image://"):
            raise BuildError(f"--build-context {ref}=docker-image://: use the image's name "
                             "in --from directly")
        if not os.path.isdir(value):
            raise BuildError(f"--build-context {ref}={value}: not a directory")
        return Source(value, f"build context {ref}", load_ignore(value, None)), None

    def source_key(self, ref: str) -> str:
        if ref in self.opts.build_contexts:
            return "context:" + ref
        idx = self.stage_ref(ref, len(self.dockerfile.stages))
        if idx is not None:
            return self.wait_stage(idx).key
        try:
            return "image:" + self.image(ref, 0)[0]
        except BuildError:
            raise BuildError(f"--from={ref}: no stage, build context or image of that "
                             "name") from None

    def default_network(self) -> str:
        """The network of a RUN without --network (and no `teu build --network`)."""
        if self._default_network is None:
            from teu.engine.config.options import default_network

            name = default_network()
            if name.startswith("container:"):
                raise BuildError(f"default network {name}: a RUN cannot join a container's "
                                 "network")
            self._default_network = name
        return self._default_network

    def mount_key(self, m: RUN.Mount, ins: I.Instruction) -> str:
        """What a mount brings in, for the cache key (bind: the files' content)."""
        if m.type != "bind":
            return ""
        if m.from_:
            idx = self.stage_ref(m.from_, len(self.dockerfile.stages))
            if idx is not None or m.from_ not in self.opts.build_contexts:
                return C.key(self.source_key(m.from_), m.source)
        source, release = self.source_for(m.from_, ins)
        try:
            entries = source.walk(source._clean(m.source or "/", "RUN --mount"),
                                  "RUN --mount")
            return C.key([(e.rel, e.st.st_mode, source.digest(e)) for e in entries])
        finally:
            if release:
                release()

    def mounts_for(self, mounts: list[RUN.Mount], work: Workdir, ins: I.Instruction
                   ) -> tuple[list[dict], list[str]]:
        out: list[dict] = []
        env: list[str] = []
        for m in mounts:
            target = m.target if m.target.startswith("/") else "/" + m.target
            if m.type == "tmpfs":
                opts = ["nosuid", "nodev"] + ([f"size={m.size}"] if m.size else [])
                out.append({"destination": target, "type": "tmpfs", "source": "tmpfs",
                            "options": opts})
            elif m.type == "cache":
                d = self._cache_mount(m, work, ins)
                out.append({"destination": target, "type": "bind", "source": d,
                            "options": ["rbind", "ro" if m.readonly else "rw"]})
            elif m.type == "secret":
                secret = self.opts.secrets.get(m.id)
                if secret is None:
                    if m.required:
                        raise BuildError(f"secret {m.id}: not provided (teu build --secret "
                                         f"id={m.id},src=FILE)")
                    continue
                value = secret.value()
                if m.env:
                    env.append(f"{m.env}={value.decode('utf-8', 'replace')}")
                if m.target:
                    path = self._secret_file(work, m, value)
                    out.append({"destination": m.target, "type": "bind", "source": path,
                                "options": ["bind", "ro", "nosuid", "nodev", "noexec"]})
            elif m.type == "ssh":
                sock = os.environ.get("SSH_AUTH_SOCK", "")
                if m.id not in self.opts.ssh and not any(s.startswith(m.id + "=")
                                                         for s in self.opts.ssh):
                    if m.required:
                        raise BuildError(f"ssh {m.id}: not forwarded (teu build --ssh {m.id})")
                    continue
                for s in self.opts.ssh:
                    if s.startswith(m.id + "="):
                        sock = s.partition("=")[2]
                if not sock or not os.path.exists(sock):
                    raise BuildError(f"--ssh {m.id}: no agent socket (SSH_AUTH_SOCK)")
                out.append({"destination": target, "type": "bind", "source": sock,
                            "options": ["bind", "rw"]})
                env.append(f"SSH_AUTH_SOCK={target}")
            else:
                source, release = self.source_for(m.from_, ins)
                if release:
                    work.on_remove.append(release)
                rel = source._clean(m.source or "/", "RUN --mount")
                host = source.host(rel, "RUN --mount", follow_last=True)
                if host is None or not os.path.exists(host):
                    raise BuildError(f"RUN --mount=type=bind,source={m.source}: not found in "
                                     f"{source.name}")
                if source.ignore is not None and source.ignore.patterns and \
                        os.path.isdir(host):
                    host = self._filtered_copy(source, rel, work)
                if m.readonly is False and os.path.isdir(host):
                    sub = Workdir(self.store, "bind")
                    work.on_remove.append(sub.remove)
                    ov = Overlay(sub, [host])
                    host = ov.rootfs
                out.append({"destination": target, "type": "bind", "source": host,
                            "options": ["rbind", "rw" if m.readonly is False else "ro"]})
        return out, env

    def _cache_mount(self, m: RUN.Mount, work: Workdir, ins: I.Instruction) -> str:
        """A cache mount's directory. sharing=shared: used by all at once; locked: one
        step at a time; private: a step finding it in use gets a fresh one (discarded).
        from=STAGE[,source=PATH] fills a new (empty) cache from that stage's files."""
        import fcntl

        d = RUN.cache_dir(self.paths.root, m)
        fd = os.open(d + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        work.on_remove.append(lambda fd=fd: os.close(fd))
        if m.sharing == "locked":
            fcntl.flock(fd, fcntl.LOCK_EX)
        elif m.sharing == "private":
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                d = work.sub("private-cache")
                os.chown(d, m.uid or 0, m.gid or 0)
                os.chmod(d, m.mode if m.mode is not None else 0o755)
        else:
            fcntl.flock(fd, fcntl.LOCK_SH)
        if m.from_ and not os.listdir(d):
            source, release = self.source_for(m.from_, ins)
            try:
                rel = source._clean(m.source or "/", "RUN --mount")
                host = source.host(rel, "RUN --mount", follow_last=True)
                if host is None or not os.path.isdir(host):
                    raise BuildError(f"RUN --mount=type=cache,from={m.from_},source="
                                     f"{m.source or '/'}: not a directory there")
                import subprocess

                p = subprocess.run(["cp", "-a", "--", host + "/.", d], capture_output=True,
                                   text=True)
                if p.returncode != 0:
                    raise BuildError(f"RUN --mount=type=cache,from={m.from_}: "
                                     f"{p.stderr.strip()}")
            finally:
                if release:
                    release()
        return d

    def _filtered_copy(self, source: Source, rel: str, work: Workdir) -> str:
        """The context directory without what .dockerignore excludes (BuildKit never
        sends those files): hard links where the filesystem allows, else copies."""
        import shutil

        entries = source.walk(rel, "RUN --mount")
        out = work.sub("bind-context")
        for e in entries[1:]:
            dst = os.path.join(out, e.rel)
            mode = e.st.st_mode
            if os.path.isdir(e.path) and not os.path.islink(e.path):
                os.makedirs(dst, exist_ok=True)
                os.chmod(dst, mode & 0o7777)
            elif os.path.islink(e.path):
                os.symlink(os.readlink(e.path), dst)
            else:
                try:
                    os.link(e.path, dst)
                except OSError:
                    shutil.copy2(e.path, dst)
        return out

    def _sweep_secrets(self) -> None:
        """Secret files of builds killed with -9 (their names start with the pid)."""
        base = os.path.join(self.paths.runroot, "build-secrets")
        try:
            names = os.listdir(base)
        except FileNotFoundError:
            return
        for name in names:
            pid = name.split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
                import shutil

                shutil.rmtree(os.path.join(base, name), ignore_errors=True)

    def _secret_file(self, work: Workdir, m: RUN.Mount, value: bytes) -> str:
        """The secret in a private tmpfs-backed file (the runroot), never in the store."""
        import shutil
        import tempfile

        base = os.path.join(self.paths.runroot, "build-secrets")
        os.makedirs(base, mode=0o700, exist_ok=True)
        d = tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base)
        work.on_remove.append(lambda: shutil.rmtree(d, ignore_errors=True))
        path = os.path.join(d, "secret")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)
        os.chown(path, m.uid or 0, m.gid or 0)
        os.chmod(path, m.mode if m.mode is not None else 0o400)
        return path

    # -- the image -------------------------------------------------------------------

    def _write(self, state: State, tags: list[str]) -> BuildResult:
        from teu import fastjson
        from teu.oci import digest as D
        from teu.oci import media_types as MT

        config = dict(state.config)
        cc = dict(config.get("config") or {})
        if self.opts.labels:
            cc["Labels"] = {**(cc.get("Labels") or {}), **self.opts.labels}
        config["config"] = {k: v for k, v in cc.items() if v is not None}
        config["rootfs"] = {"type": "layers", "diff_ids": [r.diff_id for r in state.layers]}
        config["history"] = list(config.get("history") or []) + state.new_history
        dates = [h.get("created") or "" for h in config["history"]]
        config["created"] = now_iso(self.epoch) if self.epoch is not None else \
            (max(dates) if any(dates) else now_iso(None))
        for k in ("container", "container_config", "docker_version", "parent", "id"):
            config.pop(k, None)
        raw_config = fastjson.dumps(config).encode()
        manifest = {"schemaVersion": 2, "mediaType": MT.OCI_MANIFEST,
                    "config": {"mediaType": MT.OCI_CONFIG, "digest": str(D.compute(raw_config)),
                               "size": len(raw_config)},
                    "layers": [{"mediaType": r.media_type, "digest": r.blob,
                                "size": r.blob_size} for r in state.layers]}
        raw_manifest = fastjson.dumps(manifest).encode()
        image_id = manifest["config"]["digest"]
        manifest_digest = str(D.compute(raw_manifest))
        if self._registered(image_id, manifest_digest, tags):
            return BuildResult(image_id, manifest_digest, tags, self.checks.lines(), config,
                               list(state.layers))
        from teu.image.db import ImageRow, LayerRow

        store = self.store
        store.blobs.put_bytes(raw_config, expected=image_id)
        store.blobs.put_bytes(raw_manifest, expected=manifest_digest)
        row = ImageRow(id=image_id, manifest=manifest_digest, media_type=MT.OCI_MANIFEST,
                       created=config["created"], added=__import__("time").time(),
                       size=sum(r.size for r in state.layers), os=config.get("os"),
                       architecture=config.get("architecture"), variant=config.get("variant"))
        layer_rows = [LayerRow(r.chain_id, r.diff_id, r.blob, r.media_type, r.size)
                      for r in state.layers]
        store.register(row, layer_rows, [image_id, manifest_digest,
                                         *(r.blob for r in state.layers)], tags, [])
        return BuildResult(image_id, manifest_digest, tags, self.checks.lines(), config,
                           list(state.layers))

    def _registered(self, image_id: str, manifest: str, tags: list[str]) -> bool:
        """The image is in the store already, with its manifest and every tag (a fully
        cached rebuild): nothing to write, and teu.image.store is not even imported."""
        if not (os.path.exists(self.paths.blob(image_id))
                and os.path.exists(self.paths.blob(manifest))):
            return False
        import _sqlite3

        conn = _sqlite3.connect(self.paths.db, timeout=60)
        try:
            row = conn.execute("SELECT manifest FROM images WHERE id=?", (image_id,)).fetchone()
            if row is None or row[0] != manifest:
                return False
            for name in tags:
                got = conn.execute("SELECT image_id FROM tags WHERE name=?", (name,)).fetchone()
                if got is None or got[0] != image_id:
                    return False
        except _sqlite3.Error:
            return False
        finally:
            conn.close()
        return True

    def dry_expand(self, df: I.Dockerfile) -> None:
        """--check: expand every instruction's words without building, so UndefinedVar and
        WorkdirRelativePath are found as a build would find them."""
        from teu.oci.platform import host

        h = host()
        self.platform_args = platform_args(h.os, h.architecture, h.variant or "")
        self.globals_ = self._global_args(df)
        lex = Lex(df.parsed.escape)
        for st in df.stages:
            values: dict[str, str] = {}
            env: dict[str, str] = {"PATH": DEFAULT_PATH}
            workdir_set = False
            for c in st.commands:
                texts: list[str] = []
                if isinstance(c, (I.Arg, I.Env)):
                    self.checks.arg_or_env_secret(c, [k for k, _ in c.pairs])
                if isinstance(c, I.Arg):
                    for k, v in c.pairs:
                        texts += [v] if v is not None else []
                        values[k] = self.opts.build_args.get(k, v if v is not None
                                                             else self.globals_.get(k, ""))
                elif isinstance(c, I.KeyValues):
                    texts += [v for _, v in c.pairs]
                    if isinstance(c, I.Env):
                        env.update(dict(c.pairs))
                elif isinstance(c, I.CopyLike):
                    texts += [*c.sources, c.dest, c.chown, c.chmod]
                elif isinstance(c, (I.User, I.Workdir, I.StopSignal)):
                    texts.append(getattr(c, "user", "") or getattr(c, "path", "")
                                 or getattr(c, "signal", ""))
                    if isinstance(c, I.Workdir):
                        if not workdir_set and not c.path.startswith(("/", "$")):
                            self.checks.workdir_relative(c, c.path)
                        workdir_set = True
                elif isinstance(c, (I.Expose, I.Volume)):
                    texts += getattr(c, "ports", None) or getattr(c, "paths", [])
                scope = {**values, **env}
                for t in texts:
                    try:
                        r = lex.process(t, scope)
                    except LexError:
                        continue
                    for name in sorted(r.unmatched):
                        self.checks.undefined_var(c, name, scope)

    def close(self) -> None:
        self.progress.close()
        self.cache.close()
        if self._store is not None:
            self._store.close()


_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def plain_tag(text: str) -> str | None:
    """`-t app:1` in its stored form (docker.io/library/app:1) when it is plainly valid,
    without teu.image.reference's regular expressions; None for anything else (the
    reference parser decides, and words the error). Accepts a subset of what docker
    does: docker.io or localhost names whose path components are lowercase letters and
    digits joined by single `.`, `_` or `-`, and a tag of docker's characters."""
    from teu.engine.config.images import normalize

    full = normalize(text)
    if full is None or len(full) > 255 or (len(text) == 64 and all(
            c in "0123456789abcdef" for c in text)):
        return None
    name, _, tag = full.rpartition(":")
    domain, _, path = name.partition("/")
    if domain not in ("docker.io", "localhost") or not tag or len(tag) > 128 \
            or not (tag[0] in _LOWER or tag[0].isupper() or tag[0] == "_") \
            or not set(tag) <= _TAG_CHARS:
        return None
    for comp in path.split("/"):
        if not comp or comp[0] not in _LOWER or comp[-1] not in _LOWER:
            return None
        prev_sep = False
        for c in comp:
            sep = c in "._-"
            if not sep and c not in _LOWER or sep and prev_sep:
                return None
            prev_sep = sep
    return full


def _oci_type(media_type: str) -> str:
    from teu.oci import media_types as MT

    if media_type in ("application/vnd.docker.image.rootfs.diff.tar.gzip", MT.OCI_LAYER_GZIP):
        return LAYER_TYPE
    if "zstd" in media_type:
        return "application/vnd.oci.image.layer.v1.tar+zstd"
    if media_type.endswith(".tar") or media_type == "application/vnd.oci.image.layer.v1.tar":
        return "application/vnd.oci.image.layer.v1.tar"
    return media_type


def _proxy_names() -> tuple[str, ...]:
    from teu.build.args import PROXY

    return PROXY


class _Job(threading.Thread):
    """A stage in its own thread (concurrent.futures would import logging: ~30 ms)."""

    def __init__(self, fn: Callable, *args: object) -> None:
        super().__init__(name="teu-build-stage", daemon=True)
        self.fn = fn
        self.args = args
        self.value: object = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.value = self.fn(*self.args)
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits
            self.error = e
        finally:
            self.done.set()

    def result(self):  # noqa: ANN201
        while not self.done.wait(0.25):  # short waits: the main thread stays interruptible
            pass
        if self.error is not None:
            raise self.error
        return self.value


class _LockedCache:
    """The cache's SQLite connection, shared by the stages' threads."""

    def __init__(self, cache: C.Cache) -> None:
        self._c = cache
        self._lock = threading.Lock()

    def get(self, k: str):  # noqa: ANN201
        with self._lock:
            return self._c.get(k)

    def put(self, k: str, layer: LayerRef | None, created: str) -> None:
        with self._lock:
            self._c.put(k, layer, created)

    def forget(self, k: str) -> None:
        with self._lock:
            self._c.forget(k)

    def entries(self):  # noqa: ANN201
        with self._lock:
            return self._c.entries()

    def close(self) -> None:
        self._c.close()


def build(opts: BuildOptions, out=None) -> BuildResult:  # noqa: ANN001
    """Run a build; BuildError (one line) if it fails."""
    b = Builder(opts, out or sys.stderr)
    try:
        return b.run()
    finally:
        b.close()
