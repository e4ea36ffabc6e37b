"""`teu kube generate|play|down` (podman's `kube` verbs; teu.kube does the work)."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, LIST, STR, Flag, UsageError

USAGE = """Usage:  teu kube COMMAND

Kubernetes manifests from and for teu

Commands:
  generate    Generate Kubernetes YAML from containers, a pod or a Compose file
  play        Create pods, containers and volumes from Kubernetes YAML
  down        Remove what `kube play` made from the same YAML
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 125
    fn = {"generate": _generate, "play": _play, "down": _down}.get(argv[0])
    if fn is None:
        print(f"teu kube: unknown command {argv[0]!r}\nSee 'teu kube --help'", file=sys.stderr)
        return 125
    return fn(argv[1:])


def note(message: str) -> None:
    print(f"teu kube: {message}", file=sys.stderr)


def _generate(argv: list[str]) -> int:
    flags = [Flag("compose", None, STR, "Generate from a Compose file (one Pod or Deployment "
                  "per service)", "file"),
             Flag("service", "s", BOOL, "Make the Services NodePort (default ClusterIP)"),
             Flag("service-type", None, STR, "The Services' type (ClusterIP, NodePort, "
                  "LoadBalancer)"),
             Flag("type", "t", STR, "The workload kind: pod or deployment (default pod)"),
             Flag("filename", "f", STR, "Write to a file instead of stdout", "file"),
             Flag("scale", None, LIST, "Replicas of a Deployment: N for all, or SERVICE=N"),
             Flag("replicas", "r", STR, "Replicas of a Deployment (podman's name)", "int")]
    parsed = parse_or_help(argv, flags, "teu kube generate",
                           "[OPTIONS] CONTAINER... | POD | --compose FILE",
                           "Generate Kubernetes YAML from containers, a pod or a Compose file")
    if parsed is None:
        return 0
    opts, refs = parsed
    kind = (opts.get("type") or "pod").lower()
    if kind not in ("pod", "deployment"):
        raise UsageError(f"invalid type {opts['type']!r}: pod or deployment")
    stype = opts.get("service_type") or ("NodePort" if opts.get("service") else "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer"):
        raise UsageError(f"invalid service type {stype!r}: ClusterIP, NodePort or "
                         "LoadBalancer")
    if bool(opts.get("compose")) == bool(refs):
        raise UsageError("name containers or a pod, or give --compose FILE (one of them)"
                         "\nSee 'teu kube generate --help'.", 125)

    def go() -> int:
        from teu.kube import check, generate

        if opts.get("compose"):
            project = _from_compose(opts["compose"])
        else:
            from teu.kube.from_engine import from_engine

            project = from_engine(engine(), refs, note)
        _scale(project, opts)
        docs = generate.documents(project, kind, stype, note)
        for problem in check.problems(docs):
            note(f"check: {problem}")
        text = generate.to_yaml(docs)
        if opts.get("filename"):
            with open(opts["filename"], "w") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
        return 0

    return guarded(go, 125)


def _from_compose(path: str):  # noqa: ANN202 - a teu.kube.model.Project
    from teu.compose.loader import ProjectOptions, load
    from teu.kube.from_compose import from_compose

    loaded = load(ProjectOptions(files=[path], warn=note))
    e = engine()

    def digest(ref: str) -> str:
        from teu.engine.config.images import ImageNotFound, resolve
        from teu.kube.from_engine import digest_ref

        try:
            image = resolve(e.paths, ref, e.db.conn)
        except ImageNotFound:
            return ref
        except Exception:  # noqa: BLE001 - an odd reference: written as given
            return ref
        return digest_ref(e, image.id, ref)

    return from_compose(loaded, note, digest)


def _scale(project, opts: dict) -> None:  # noqa: ANN001
    values = list(opts.get("scale") or [])
    if opts.get("replicas"):
        values.append(opts["replicas"])
    for v in values:
        name, eq, n = v.rpartition("=")
        if not n.isdigit():
            raise UsageError(f"invalid --scale {v!r}: N or SERVICE=N")
        hit = False
        for w in project.workloads:
            if not eq or w.name == name or any(c.name == name for c in w.containers):
                w.replicas = int(n)
                hit = True
        if not hit:
            raise UsageError(f"--scale {v}: no such service")


def _read(files: list[str]):  # noqa: ANN202 - list of teu.kube.manifest.Doc
    from teu.kube.manifest import read

    docs = []
    for f in files:
        docs += read(f)
    return docs


def _play(argv: list[str]) -> int:
    flags = [Flag("down", None, BOOL, "Remove what a previous play of the file made"),
             Flag("replace", None, BOOL, "Remove what a previous play made, then play"),
             Flag("start", None, BOOL, "Start the pods (default true; --start=false: "
                  "create only)"),
             Flag("network", None, LIST, "The pods' network (default: teu-kube, a user "
                  "network where pod and Service names resolve)"),
             Flag("configmap", None, LIST, "A YAML file of ConfigMaps for env and volumes",
                  "file"),
             Flag("build", None, BOOL, "Build images found missing from a directory named "
                  "after the image beside the YAML (Containerfile or Dockerfile)")]
    parsed = parse_or_help(argv, flags, "teu kube play", "[OPTIONS] FILE|-",
                           "Create pods, containers and volumes from Kubernetes YAML",
                           True, 1)
    if parsed is None:
        return 0
    opts, files = parsed

    def go() -> int:
        import os

        from teu.kube.errors import KubeError
        from teu.kube.play import PlayOptions, play

        docs = _read(files)
        e = engine()
        if opts.get("down"):
            from teu.kube.down import down

            down(e, docs, print)
            return 0
        for f in opts.get("configmap") or []:
            extra = _read([f])
            for d in extra:
                if d.kind != "ConfigMap":
                    raise KubeError(f"{d.where}: --configmap files hold ConfigMaps, not "
                                    f"{d.kind}")
            docs = extra + docs
        po = PlayOptions(start=opts.get("start", True) is not False,
                         network=list(opts.get("network") or []),
                         build=bool(opts.get("build")), replace=bool(opts.get("replace")),
                         context_dir=os.path.dirname(os.path.abspath(files[0]))
                         if files[0] != "-" else os.getcwd())
        play(e, docs, po, lambda m: note(f"warning: {m}"), print)
        return 0

    return guarded(go, 125)


def _down(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu kube down", "FILE|-",
                           "Remove what `kube play` made from the same YAML", True, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.kube.down import down

        down(engine(), _read(parsed[1]), print)
        return 0

    return guarded(go)
