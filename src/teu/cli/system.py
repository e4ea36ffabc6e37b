"""`teu system df|prune|info`: what teu holds, and cleaning up what nothing uses."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, INT, LIST, STR, Flag, UsageError


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("Usage:  teu system COMMAND\n\nCommands:\n  df      Show disk usage\n"
              "  info    Display system-wide information\n  prune   Remove unused data\n"
              "  service Serve the Docker Engine API on a socket")
        return 0
    fn = {"df": _df, "prune": _prune, "info": info, "service": _service}.get(argv[0])
    if fn is None:
        print(f"teu system: unknown command {argv[0]!r}", file=sys.stderr)
        return 1
    return fn(argv[1:])


def _df(argv: list[str]) -> int:
    flags = [Flag("format", None, STR, "Format output using a custom template"),
             Flag("verbose", "v", BOOL, "Show detailed information on space usage")]
    parsed = parse_or_help(argv, flags, "teu system df", "[OPTIONS]", "Show disk usage", True, 0, 0)
    if parsed is None:
        return 0

    opts = parsed[0]

    def go() -> int:
        from teu.cli._table import render

        if opts.get("verbose") and not opts.get("format"):
            return _df_verbose()
        from teu.engine.views.system import df

        sys.stdout.write(render(opts.get("format"),
                                "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
                                "{{.Reclaimable}}",
                                {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE",
                                 "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}, df(engine()),
                                "*formatter.diskUsageContext"))
        return 0

    return guarded(go)


# docker's `system df -v` tables
_DF_IMAGES = ("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t"
              "{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}")
_DF_IMAGE_HEADERS = {"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID",
                     "CreatedSince": "CREATED", "Size": "SIZE", "SharedSize": "SHARED SIZE",
                     "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"}
_DF_CONTAINERS = ("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t"
                  "{{.RunningFor}}\t{{.Status}}\t{{.Names}}")
_DF_CONTAINER_HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
                         "LocalVolumes": "LOCAL VOLUMES", "Size": "SIZE",
                         "RunningFor": "CREATED", "Status": "STATUS", "Names": "NAMES"}
_DF_VOLUMES = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
_DF_VOLUME_HEADERS = {"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}
_DF_CACHE = ("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t"
             "{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}")
_DF_CACHE_HEADERS = {"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE",
                     "CreatedSince": "CREATED", "LastUsedSince": "LAST USED",
                     "UsageCount": "USAGE", "Shared": "SHARED"}


def _df_verbose() -> int:
    from teu.cli._table import render
    from teu.engine.views.disk_usage import df_verbose

    d = df_verbose(engine())
    out = ["Images space usage:\n\n",
           render(None, _DF_IMAGES, _DF_IMAGE_HEADERS, d["Images"],
                  "*formatter.diskUsageImagesContext"),
           "\nContainers space usage:\n\n",
           render(None, _DF_CONTAINERS, _DF_CONTAINER_HEADERS, d["Containers"],
                  "*formatter.diskUsageContainersContext"),
           "\nLocal Volumes space usage:\n\n",
           render(None, _DF_VOLUMES, _DF_VOLUME_HEADERS, d["Volumes"],
                  "*formatter.diskUsageVolumesContext"),
           "\nBuild cache usage: 0B\n\n",
           render(None, _DF_CACHE, _DF_CACHE_HEADERS, d["BuildCache"],
                  "*formatter.diskUsageBuilderContext")]
    sys.stdout.write("".join(out))
    return 0


def _prune(argv: list[str]) -> int:
    flags = [Flag("all", "a", BOOL, "Remove all unused images not just dangling ones"),
             Flag("force", "f", BOOL, "Do not prompt for confirmation"),
             Flag("volumes", None, BOOL, "Prune volumes"),
             Flag("filter", None, LIST, "Provide filter values (e.g. 'label=<key>=<value>')")]
    parsed = parse_or_help(argv, flags, "teu system prune", "[OPTIONS]", "Remove unused data", True, 0, 0)
    if parsed is None:
        return 0
    opts = parsed[0]

    def go() -> int:
        from teu.engine.config.units import size_text
        from teu.engine.views.system import prune

        filters = opts.get("filter") or []
        if opts.get("volumes") and any(f.partition("=")[0] == "until" for f in filters):
            from teu.errors import TeuError

            err = TeuError('ERROR: The "until" filter is not supported with "--volumes"', 1)
            err.bare = True  # type: ignore[attr-defined] - docker's words, as they are
            raise err
        from teu.cli._confirm import asked

        if not asked(opts, _warning(opts, filters)):
            return 0
        r = prune(engine(), bool(opts.get("all")), bool(opts.get("volumes")), filters)
        for title, items in (("Deleted Containers:", r["containers"]),
                             ("Deleted Networks:", r["networks"]),
                             ("Deleted Volumes:", r["volumes"]),
                             ("Deleted Images:", r["images"])):
            if items:
                print(title)
                for x in items:
                    print(x)
                print()
        print(f"Total reclaimed space: {size_text(r['freed'])}")
        return 0

    return guarded(go)


def _warning(opts: dict, filters: list[str]) -> str:
    """docker 20.10's confirmation text for system prune."""
    items = ["all stopped containers", "all networks not used by at least one container"]
    if opts.get("volumes"):
        items.append("all volumes not used by at least one container")
    items.append("all images without at least one container associated to them"
                 if opts.get("all") else "all dangling images")
    items.append("all build cache" if opts.get("all") else "all dangling build cache")
    text = "WARNING! This will remove:\n" + "".join(f"  - {i}\n" for i in items)
    shown = sorted(f for f in filters if f.partition("=")[0] in ("label", "label!", "until"))
    if shown:
        text += "\n  Items to be pruned will be filtered with:\n" \
            + "".join(f"  - {f}\n" for f in shown)
    return text + "\nAre you sure you want to continue?"


def info(argv: list[str]) -> int:
    flags = [Flag("format", "f", STR, "Format the output using the given Go template")]
    parsed = parse_or_help(argv, flags, "teu info", "[OPTIONS]",
                           "Display system-wide information", True, 0, 0)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.views.system import info as get

        i = get(engine())
        fmt = parsed[0].get("format")
        if fmt:
            from teu.cli.formatting import FormatError, parse, typed
            from teu.cli.gotemplate import ExecError

            if fmt == "json":
                fmt = "{{json .}}"
            t = parse(fmt, prefix="template parsing error: ", exit_code=64)
            try:
                print(t.execute(typed(i, type_name="system.info")))
            except ExecError as err:
                sys.stdout.write(err.partial + "\n")
                raise FormatError(str(err)) from None
            return 0
        print(f""" Containers: {i['Containers']}
  Running: {i['ContainersRunning']}
  Paused: {i['ContainersPaused']}
  Stopped: {i['ContainersStopped']}
 Images: {i['Images']}
 Server Version: {i['ServerVersion']}
 Storage Driver: {i['Driver']}
 Logging Driver: {i['LoggingDriver']}
 Cgroup Driver: {i['CgroupDriver']}
 Cgroup Version: {i['CgroupVersion']}
 Runtimes: {' '.join(i['Runtimes'])}
 Default Runtime: {i['DefaultRuntime']}
 Security Options:
  seccomp
   Profile: builtin
 Kernel Version: {i['KernelVersion']}
 Operating System: {i['OperatingSystem']}
 OSType: {i['OSType']}
 Architecture: {i['Architecture']}
 CPUs: {i['NCPU']}
 Total Memory: {i['MemTotal'] / 1024 ** 3:.2f}GiB
 Name: {i['Name']}
 Docker Root Dir: {i['DockerRootDir']}
 Run Root: {i['RunRoot']}""")
        return 0

    return guarded(go)


def _service(argv: list[str]) -> int:
    flags = [Flag("time", "t", INT, "Seconds before an idle service exits (0: never)"),
             Flag("group", None, STR, "Group of the unix socket (default: docker, if any)"),
             Flag("tls", None, BOOL, "Use TLS on a tcp:// address; implied by --tlsverify"),
             Flag("tlsverify", None, BOOL, "Use TLS and verify the clients' certificates"),
             Flag("tlscacert", None, STR, "Trust clients' certificates signed only by this CA"),
             Flag("tlscert", None, STR, "Path to the TLS certificate file"),
             Flag("tlskey", None, STR, "Path to the TLS key file")]
    parsed = parse_or_help(argv, flags, "teu system service", "[OPTIONS] [URI]",
                           "Serve the Docker Engine API (default unix:///run/teu/teu.sock)",
                           True, 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.dockerapi.serve import DEFAULT_URI, ServiceConfig, TLSConfig, serve

        t = opts.get("time")
        tls = None
        if opts.get("tls") or opts.get("tlsverify"):
            if not opts.get("tlscert") or not opts.get("tlskey"):
                raise UsageError("--tls and --tlsverify need --tlscert and --tlskey")
            tls = TLSConfig(opts["tlscert"], opts["tlskey"], opts.get("tlscacert"),
                            bool(opts.get("tlsverify")))
        elif any(opts.get(k) for k in ("tlscacert", "tlscert", "tlskey")):
            raise UsageError("--tlscacert, --tlscert and --tlskey need --tls or --tlsverify")
        serve(ServiceConfig(uri=args[0] if args else DEFAULT_URI,
                            idle_timeout=5.0 if t is None else float(t),
                            group=opts.get("group"), tls=tls))
        return 0

    return guarded(go)
