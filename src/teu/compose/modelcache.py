"""The loaded project kept between compose commands: `teu compose up`, `ps`, `down`...
each start a Python and load the same files, and a load is most of a short command's
own time (PyYAML's import alone ~30 ms, the loader's ~20 ms more). A project loaded from
the same options, the same environment, teu's same compose code and files that read the
same is the same project, so the CLI keeps it as JSON under the run root:

    <runroot>/compose-models/<key>.json   {"looked": {path: fingerprint}, "project": ...,
                                            "warnings": [...]}

key: a hash of the options, the whole process environment, the working directory and
the compose package's files' mtimes (a changed teu loads afresh). looked: every path the
load consulted (the files read, and the names probed: a compose.override.yaml or an
.env that appears later makes the entry stale), each with a hash of its content, or
"missing". A hit replays the load's warnings. A load that reads stdin, fails, or whose
project would not come back from JSON as it is, is not kept."""

from __future__ import annotations

import hashlib
import os

from teu import fastjson
from teu.compose.project import Project, ProjectOptions

VERSION = 1
DIRECTORY = "compose-models"
KEEP = 64  # entries; past that the oldest go


def load(opts: ProjectOptions, runroot: str) -> Project:
    """The project the options describe, from the cache when it is still good."""
    if "-" in opts.files or opts.stdin is not None:
        from teu.compose.loader import load as fresh

        return fresh(opts)
    directory = os.path.join(runroot, DIRECTORY)
    path = os.path.join(directory, _key(opts) + ".json")
    entry = _read(path)
    if entry is not None and all(fingerprint(p) == fp for p, fp in entry["looked"].items()):
        for line in entry["warnings"]:
            if opts.warn is not None:
                opts.warn(line)
        return Project(**entry["project"])
    return _load_and_keep(opts, directory, path)


def _load_and_keep(opts: ProjectOptions, directory: str, path: str) -> Project:
    from teu.compose.loader import load_recording

    warnings: list[str] = []
    warn = opts.warn

    def noted(line: str) -> None:
        warnings.append(line)
        if warn is not None:
            warn(line)

    opts.warn = noted
    try:
        project, looked = load_recording(opts)
    finally:
        opts.warn = warn
    fields = project.fields()
    try:
        text = fastjson.dumps({"version": VERSION, "project": fields, "warnings": warnings,
                               "looked": {p: fingerprint(p) for p in looked}})
    except (TypeError, ValueError):
        return project  # something JSON cannot carry
    if fastjson.loads(text)["project"] != fields:
        return project  # ... or carries back changed (an int key, a tuple)
    _write(directory, path, text)
    return project


def fingerprint(path: str) -> str:
    """What a path holds, as the load saw it: its content's hash, or what it is not."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except IsADirectoryError:
        return "directory"
    except OSError as e:
        return f"error {e.errno}"


def _key(opts: ProjectOptions) -> str:
    environ = dict(os.environ if opts.environ is None else opts.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    code = sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(here)
                  if e.name.endswith(".py"))
    what = [VERSION, code, opts.files, opts.project_directory, opts.project_name,
            opts.env_files, opts.profiles, opts.interpolate, opts.resolve_paths,
            opts.services, opts.workdir or os.getcwd(), sorted(environ.items())]
    return hashlib.sha256(fastjson.dumps(what).encode()).hexdigest()


def _read(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            entry = fastjson.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("version") != VERSION:
        return None
    return entry


def _write(directory: str, path: str, text: str) -> None:
    """Atomically (a reader sees the old entry or the new one), readable by root only
    (the environment is in it); a cache that cannot be written is no cache."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        _trim(directory)
    except OSError:
        pass


def _trim(directory: str) -> None:
    entries = [e for e in os.scandir(directory) if e.name.endswith(".json")]
    if len(entries) <= KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for e in entries[:len(entries) - KEEP]:
        try:
            os.unlink(e.path)
        except OSError:
            pass
