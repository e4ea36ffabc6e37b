"""`teu build [OPTIONS] PATH | URL | -` (also `teu image build`): docker build's flags.

The context is a directory (read in place), `-` (a tar on stdin, or a bare
Dockerfile), or a git URL (cloned with the machine's git). A failed build exits 1
and tags nothing; a bad flag exits 125.
"""

from __future__ import annotations

import os
import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, LIST, STR, Flag
from teu.errors import TeuError

FLAGS = [
    Flag("tag", "t", LIST, "Name and optionally a tag (name:tag); repeatable"),
    Flag("file", "f", STR, "Name of the Dockerfile (default: PATH/Dockerfile; - for stdin)"),
    Flag("build-arg", None, LIST, "Set build-time variables", "KEY[=VALUE]"),
    Flag("build-context", None, LIST, "Additional build contexts", "NAME=DIR"),
    Flag("target", None, STR, "Set the target build stage to build"),
    Flag("no-cache", None, BOOL, "Do not use cache when building the image"),
    Flag("no-cache-filter", None, LIST, "Do not cache specified stages", "STAGE"),
    Flag("pull", None, BOOL, "Always attempt to pull all referenced images"),
    Flag("label", None, LIST, "Set metadata for an image", "KEY=VALUE"),
    Flag("platform", None, STR, "Set target platform (this machine's only)"),
    Flag("quiet", "q", BOOL, "Suppress the build output and print image ID on success"),
    Flag("iidfile", None, STR, "Write the image ID to the file"),
    Flag("progress", None, STR, "Set type of progress output (auto, plain, tty, quiet, "
         "rawjson)"),
    Flag("secret", None, LIST, "Secret to expose to the build", "id=ID,src=FILE|env=VAR"),
    Flag("ssh", None, LIST, "SSH agent socket or keys to expose", "default|ID[=SOCKET]"),
    Flag("network", None, STR, "Networking mode for the RUN instructions (default, none, "
         "host)"),
    Flag("allow", None, LIST, "Allow extra privileged entitlement", "network.host|"
         "security.insecure"),
    Flag("check", None, BOOL, "Check build configuration, report and exit"),
    Flag("metadata-file", None, STR, "Write build result metadata to a file"),
    Flag("output", "o", LIST, "Output destination", "type=...,dest=..."),
    Flag("cache-from", None, LIST, "External cache sources", "type=local,src=DIR"),
    Flag("cache-to", None, LIST, "Cache export destinations", "type=local,dest=DIR"),
    Flag("runroot", None, STR, "Runtime state directory (default: $TEU_RUNROOT)"),
]


class _Args:
    """The parsed flags as attributes (missing lists are empty)."""

    def __init__(self, opts: dict, context: str) -> None:
        self.context = context
        for f in FLAGS:
            key = f.name.replace("-", "_")
            default = [] if f.kind == LIST else (False if f.kind == BOOL else None)
            setattr(self, key, opts.get(key, default))
        self.root = opts.get("root")
        self.progress = self.progress or "auto"
        self.network = self.network or "default"
        self.target = self.target or ""
        self.platform = self.platform or ""


def _pairs(values: list[str], what: str, need_value: bool = False) -> dict[str, str]:
    out = {}
    for v in values:
        k, eq, val = v.partition("=")
        if not k:
            raise TeuError(f"{what} {v!r}: expected KEY=VALUE", 125)
        if not eq:
            if need_value:
                raise TeuError(f"{what} {v!r}: expected KEY=VALUE", 125)
            env = os.environ.get(k)
            if env is None:
                continue  # docker: --build-arg KEY takes the value from the environment
            val = env
        out[k] = val
    return out


def _secrets(values: list[str]):  # noqa: ANN202
    from teu.build.builder import Secret

    out = {}
    for v in values:
        fields = dict(f.partition("=")[::2] for f in v.split(","))
        sid = fields.get("id", "")
        src = fields.get("src") or fields.get("source") or ""
        env = fields.get("env", "")
        if not sid:
            raise TeuError(f"--secret {v!r}: id= is required", 125)
        if not src and not env:
            if os.environ.get(sid) is not None:
                env = sid
            else:
                raise TeuError(f"--secret {v!r}: src=FILE or env=VAR is required", 125)
        out[sid] = Secret(sid, src=os.path.abspath(src) if src else "", env=env)
    return out


def main(argv: list[str], prog: str = "teu build") -> int:
    parsed = O.parse(argv, FLAGS, prog, "[OPTIONS] PATH | URL | -",
                     "Build an image from a Dockerfile", 1, 1)
    if parsed is None:
        return 0
    args = _Args(*parsed[0:1], parsed[1][0])
    from teu.build.errors import BuildError

    if args.progress not in ("auto", "plain", "tty", "quiet", "rawjson"):
        raise TeuError(f"--progress {args.progress}: expected auto, plain, tty, quiet or "
                       "rawjson", 125)
    if args.network not in ("default", "none", "host"):
        raise TeuError(f"--network {args.network}: expected default, none or host", 125)

    try:
        return _main(args)
    except BuildError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ERROR: interrupted: nothing was tagged", file=sys.stderr)
        return 130


def _main(args) -> int:  # noqa: ANN001
    from teu.build import outputs
    from teu.build.builder import Builder, BuildOptions
    from teu.build.errors import BuildError

    if len(args.output) > 1:
        raise TeuError("--output: only one output is supported", 125)
    out_specs = [outputs.parse_spec(o, "--output") for o in args.output]
    cache_from = [outputs.parse_spec(c, "--cache-from") for c in args.cache_from]
    cache_to = [outputs.parse_spec(c, "--cache-to") for c in args.cache_to]
    progress = args.progress
    if args.quiet:
        progress = "quiet"
    elif progress in ("auto", "tty"):
        progress = "tty" if O.stderr_is_tty() else "plain"
    cleanup: list = []
    try:
        opts = BuildOptions(
            tags=args.tag, build_args=_pairs(args.build_arg, "--build-arg"),
            target=args.target, no_cache=args.no_cache, no_cache_filter=args.no_cache_filter,
            labels=_pairs(args.label, "--label", need_value=False), progress=progress,
            platform=args.platform, secrets=_secrets(args.secret), ssh=args.ssh,
            network=args.network, allow=[a for v in args.allow for a in v.split(",")],
            build_contexts=_pairs(args.build_context, "--build-context", need_value=True),
            pull=args.pull, root=args.root, runroot=args.runroot)
        dockerfile_text = None
        if args.file == "-":
            dockerfile_text = sys.stdin.buffer.read()
        opts.context = _context(args.context, cleanup, args.file == "-")
        if isinstance(opts.context, tuple):
            opts.context, dockerfile_text = opts.context
        if dockerfile_text is not None:
            opts.dockerfile_text = dockerfile_text
        elif args.file:
            opts.dockerfile = os.path.abspath(args.file) if os.path.exists(args.file) \
                else os.path.join(opts.context, args.file)
        if args.check:
            return _check(opts)
        b = Builder(opts)
        try:
            for spec in cache_from:
                outputs.cache_from(b, spec)
            result = b.run()
            for spec in out_specs:
                outputs.export(b, result, spec)
            for spec in cache_to:
                outputs.cache_to(b, spec)
        finally:
            b.close()
        if args.iidfile:
            with open(args.iidfile, "w") as f:
                f.write(result.image_id)
        if args.metadata_file:
            import json

            meta = {"containerimage.config.digest": result.image_id,
                    "containerimage.digest": result.manifest_digest,
                    "image.name": ",".join(result.tags)}
            with open(args.metadata_file, "w") as f:
                json.dump(meta, f, indent=2)
        if args.quiet:
            print(result.image_id)
        else:
            for t in result.tags:
                print(f"naming to {t} done", file=sys.stderr)
            print(f"writing image {result.image_id} done", file=sys.stderr)
        return 0
    except OSError as e:
        raise BuildError(f"{e.filename or ''}: {e.strerror or e}") from None
    finally:
        if cleanup:
            import shutil

            for d in cleanup:
                shutil.rmtree(d, ignore_errors=True)


def _check(opts) -> int:  # noqa: ANN001
    from teu.build.builder import Builder
    from teu.build.checks import Checks, check_directive

    b = Builder(opts)
    try:
        df = b.load()
        checks = Checks(opts.dockerfile_name, check_directive(df.parsed))
        checks.static(df)
        b.dockerfile = df
        b.checks = checks
        b.dry_expand(df)
    finally:
        b.close()
    lines = checks.lines()
    if not lines:
        print("Check complete, no warnings found.")
        return 0
    print(f"Check complete, {len(lines)} warning{'s' if len(lines) > 1 else ''} have been "
          "found!")
    for f in sorted(checks.findings, key=lambda f: f.line):
        print(f"{f.rule} - {f.url()}\n{f.message}\n{opts.dockerfile_name}:{f.line}")
    return 1 if checks.error or lines else 0


def _context(arg: str, cleanup: list, dockerfile_on_stdin: bool):  # noqa: ANN202
    from teu.build.errors import BuildError

    if arg == "-":
        if dockerfile_on_stdin:
            raise BuildError("invalid argument: can't use stdin for both build context and "
                             "dockerfile")
        import tempfile

        data = sys.stdin.buffer.read()
        d = tempfile.mkdtemp(prefix="teu-build-context-")
        cleanup.append(d)
        from teu.build.steps.copy import is_archive

        path = os.path.join(d, ".stdin")
        with open(path, "wb") as f:
            f.write(data)
        ctx = os.path.join(d, "context")
        os.mkdir(ctx)
        if is_archive(path):
            from teu.build.steps.copy import extract_archive

            extract_archive(path, ctx)
            return ctx
        return ctx, data  # a bare Dockerfile on stdin, and no context
    if arg.startswith(("http://", "https://", "git@", "git://")):
        from teu.build.steps.remote import is_git

        if not is_git(arg) and not arg.startswith(("https://github.com/", "git")):
            raise BuildError(f"{arg}: only git URLs are supported as a remote context")
        import subprocess
        import tempfile

        d = tempfile.mkdtemp(prefix="teu-build-git-")
        cleanup.append(d)
        url, _, frag = arg.partition("#")
        ref, _, sub = frag.partition(":")
        p = subprocess.run(["git", "clone", "--quiet", url, d + "/repo"], capture_output=True,
                           text=True)
        if p.returncode == 0 and ref:
            p = subprocess.run(["git", "-C", d + "/repo", "checkout", "--quiet", ref],
                               capture_output=True, text=True)
        if p.returncode != 0:
            raise BuildError(f"{arg}: git: {(p.stderr.strip().splitlines() or ['failed'])[-1]}")
        return os.path.join(d, "repo", sub)
    return os.path.abspath(arg)
