"""`teu`: the user's command.

Verbs live one per module under teu.cli and are imported only when used,
so `teu version` (and every verb) pays only for what it runs.
"""

from __future__ import annotations

import sys

from teu import __version__

# verb -> module under teu.cli with a `main(argv) -> int`.
VERBS: dict[str, str] = {
    "version": "teu.cli.version",
    "registry": "teu.cli.registry",
    # Images (teu.image, teu.registry.client).
    "pull": "teu.cli.pull",
    "push": "teu.cli.push",
    "images": "teu.cli.images",
    "image": "teu.cli.image",
    "tag": "teu.cli.tag",
    "rmi": "teu.cli.rmi",
    "history": "teu.cli.history",
    "save": "teu.cli.save",
    "load": "teu.cli.load",
    "import": "teu.cli.import_",
    "login": "teu.cli.login",
    "logout": "teu.cli.logout",
    # Containers (teu.engine).
    "run": "teu.cli.run",
    "create": "teu.cli.create",
    "start": "teu.cli.start",
    "stop": "teu.cli.stop",
    "restart": "teu.cli.restart",
    "kill": "teu.cli.kill",
    "rm": "teu.cli.rm",
    "ps": "teu.cli.ps",
    "logs": "teu.cli.logs",
    "exec": "teu.cli.exec",
    "attach": "teu.cli.attach",
    "wait": "teu.cli.wait",
    "inspect": "teu.cli.inspect",
    "rename": "teu.cli.rename",
    "pause": "teu.cli.pause",
    "unpause": "teu.cli.unpause",
    "container": "teu.cli.container",
    "volume": "teu.cli.volume",
    "top": "teu.cli.top",
    "stats": "teu.cli.stats",
    "cp": "teu.cli.cp",
    "diff": "teu.cli.diff",
    "commit": "teu.cli.commit",
    "export": "teu.cli.export",
    "port": "teu.cli.port",
    "network": "teu.cli.network",
    "update": "teu.cli.update",
    "system": "teu.cli.system",
    "info": "teu.cli.info",
    "events": "teu.cli.events",
    "healthcheck": "teu.cli.healthcheck",
    # Trust (teu.trust): cosign's keys, signatures and attestations.
    "key": "teu.cli.key",
    "sign": "teu.cli.sign",
    "verify": "teu.cli.verify",
    "attest": "teu.cli.attest",
    "verify-attestation": "teu.cli.verify_attestation",
    # Scan (teu.scan).
    "sbom": "teu.cli.sbom",
    # Builds (teu.build).
    "build": "teu.cli.build",
    "builder": "teu.cli.builder",
    "scan": "teu.cli.scan",
    "lint": "teu.cli.lint",
    "compose": "teu.cli.compose",
    "pod": "teu.cli.pod",
    "kube": "teu.cli.kube",
    "bench": "teu.cli.bench",
}

USAGE = """usage: teu COMMAND [ARGS...]

commands:
  version     show teu's version
  registry    run an OCI distribution registry (serve, gc)
  pull        download an image from a registry
  push        upload an image to a registry
  images      list images (also: image ls)
  image       manage images (ls, inspect, rm, prune, tag, history, ...)
  tag         add a name to an image
  rmi         remove images (also: image rm)
  history     show an image's history
  save        write images to a tar archive (OCI layout + docker manifest.json)
  load        read images from a docker-archive or oci-archive tar
  import      make a one-layer image from a root filesystem tarball
  login       store credentials for a registry
  logout      forget credentials for a registry
  run         create and run a container (-d: in the background)
  create      create a container
  start       start containers (-a: attach)
  stop        stop containers (stop signal, then SIGKILL)
  restart     restart containers
  kill        send a signal to containers
  rm          remove containers
  ps          list containers
  logs        show a container's output
  exec        run a command in a running container
  attach      attach to a running container's stdio
  wait        wait for containers to stop, print their exit codes
  inspect     low-level information on containers, volumes, images
  rename      rename a container
  pause       freeze a container's processes
  unpause     thaw a paused container
  container   manage containers (ls, prune, ... and the verbs above)
  volume      manage volumes (create, ls, inspect, rm, prune)
  top         a container's processes
  stats       containers' resource usage (--no-stream: once)
  cp          copy files between a container and the host
  diff        a container's changed files
  commit      make an image from a container's changes
  export      a container's filesystem as a tar
  port        a container's published ports (--explain: the path a packet takes)
  network     manage networks (create, ls, inspect, rm, prune, connect, disconnect)
  update      change a container's resource limits or restart policy
  system      df, prune, info
  info        system-wide information
  events      the store's events: history (--since/--until) and a live stream
  healthcheck run a container's health check now
  key         generate a key pair in cosign's format
  sign        sign an image (cosign's signature format)
  verify      verify an image's signatures
  attest      attach a signed in-toto attestation (SBOM, provenance)
  verify-attestation  verify an image's attestations
  sbom        list the software inside an image (SPDX, CycloneDX, table)
  build       build an image from a Dockerfile (also: image build)
  builder     prune: clear teu build's cache
  scan        find known vulnerabilities in an image (scan db: the offline database)
  lint        check a Dockerfile, image, Compose file, manifest or run line for mistakes
  compose     multi-container applications from Compose files (config)
  pod         manage pods: containers sharing network, IPC and UTS (podman's verbs)
  kube        Kubernetes manifests: generate from containers/pods/compose, play, down
  bench       measure startup, memory, image size, throughput, density (--vm: vs a VM)

global options (before the command):
  --root DIR      store and containers (default $TEU_ROOT or /var/lib/teu)
  --runroot DIR   runtime state (default $TEU_RUNROOT or /run/teu)
  --signature-policy FILE  trust policy for pull and run (default $TEU_POLICY,
                  /etc/teu/policy.json, /etc/containers/policy.json)
  --cni-plugin-dir DIR   CNI plugins (default $TEU_CNI_PATH or /usr/lib/cni, /opt/cni/bin)
  --cni-config-dir DIR   more networks: CNI conflists usable by name ($TEU_CNI_CONFIG_DIR)
"""

GLOBAL_FLAGS = {"--root": "TEU_ROOT", "--runroot": "TEU_RUNROOT",
                "--signature-policy": "TEU_POLICY",
                "--cni-plugin-dir": "TEU_CNI_PATH", "--cni-config-dir": "TEU_CNI_CONFIG_DIR"}


def _global_flags(argv: list[str]) -> list[str]:
    """--root/--runroot before the command go to the environment every verb reads."""
    import os

    while argv and argv[0].split("=", 1)[0] in GLOBAL_FLAGS:
        name, eq, value = argv[0].partition("=")
        if not eq:
            if len(argv) < 2:
                raise SystemExit(f"teu: flag needs an argument: {name}")
            value, argv = argv[1], argv[1:]
        os.environ[GLOBAL_FLAGS[name]] = os.path.abspath(value)
        argv = argv[1:]
    return argv


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv = _global_flags(argv)
    if argv[:1] in (["--version"], ["-v"]):
        print(f"teu version {__version__}")
        return 0
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0  # docker: bare `docker` prints its usage (to stderr) and exits 0
    if argv[0].startswith("-"):
        print(f"unknown flag: {argv[0].split('=', 1)[0]}\nSee 'teu --help'.", file=sys.stderr)
        return 125
    module = VERBS.get(argv[0])
    if module is None:
        print(f"teu: '{argv[0]}' is not a teu command.\nSee 'teu --help'", file=sys.stderr)
        return 1
    from teu.errors import TeuError

    hear_interrupts()
    try:
        # __import__, not importlib.import_module: importlib pulls in warnings (~1 ms)
        code = __import__(module, fromlist=["main"]).main(argv[1:])
        sys.stdout.flush()  # here, where a reader that left is seen (not at exit)
        if code == 141:  # 128 + SIGPIPE: a copy of a container's output lost its reader
            reader_left()
        return code
    except TeuError as e:
        reader_left()
        # A usage or template error is docker's own text; others as docker's CLI says them.
        print(e if getattr(e, "bare", False) else error_line(argv[0], str(e)), file=sys.stderr)
        return e.exit_code
    except OSError as e:
        reader_left()
        # A file or socket the verb did not expect to fail: still one line, no traceback.
        where = f"{e.filename}: " if e.filename else ""
        print(error_line(argv[0], f"{where}{e.strerror or e}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def hear_interrupts() -> None:
    """Take Ctrl-C (SIGINT) even if teu was started with it ignored, as a background job
    of a script is: Python then leaves it ignored, while docker's CLI (Go's signal.Notify)
    hears it and stops what it runs (a build, a foreground container, compose up).
    `_signal`, not `signal`: the latter imports enum on every start."""
    import _signal

    if _signal.getsignal(_signal.SIGINT) == _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


def reader_left() -> None:
    """If whoever reads our stdout or stderr has gone (`teu logs X | head -1`), end as
    docker's CLI does, a Go program: killed by SIGPIPE, quietly. Python ignores SIGPIPE,
    so the write failed with EPIPE instead, wherever the verb was writing; a verb
    may have turned that into an error of its own, which nobody is left to read."""
    import os
    import select

    for fd in (1, 2):
        try:
            poller = select.poll()
            poller.register(fd, 0)  # POLLERR/POLLHUP are always reported
            gone = any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
        except (OSError, ValueError):
            continue
        if gone and _is_pipe(fd):
            import _signal

            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)  # nothing more to complain to
            _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
            _signal.pthread_sigmask(_signal.SIG_UNBLOCK, [_signal.SIGPIPE])
            os.kill(os.getpid(), _signal.SIGPIPE)


def _is_pipe(fd: int) -> bool:
    import os
    import stat

    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def error_line(verb: str, message: str) -> str:
    """A failed verb's line as docker's CLI prints it: `Error: msg` (where docker says
    `Error response from daemon: msg`, teu, which has no daemon, says `Error: msg`, as
    podman does); `run` reports as docker run does, `docker: Error ...: msg.`"""
    if verb == "run":
        return f"teu: Error: {message.removesuffix('.')}."
    return f"Error: {message}"


if __name__ == "__main__":
    sys.exit(main())
