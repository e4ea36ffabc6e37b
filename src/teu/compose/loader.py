"""Compose files to one project model, as docker compose v2 (compose-go) loads them.

Order of work: find the files and the project directory; read the env (`.env` or
`--env-file`, under the process environment); per file: parse, interpolate, check
keys, canonical form; merge the files in order; resolve `include` and `extends`;
apply `env_file`; keep the services of the active profiles; fill in defaults
(names of networks and volumes, the default network, absolute paths); check
references. The result is plain dicts in the shape `docker compose config` prints.
"""

from __future__ import annotations

import os
import re

from teu.compose import canonical, dotenv, schema
from teu.compose.errors import ComposeError
from teu.compose.interpolate import interpolate
from teu.compose.merge import merge, strip_tags
from teu.compose.project import Project, ProjectOptions
from teu.compose.yamlfile import parse

__all__ = ["Project", "ProjectOptions", "find_files", "load", "load_recording",
           "normalize_name"]

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yaml", "compose.override.yml",
                  "docker-compose.override.yml", "docker-compose.override.yaml")


# Every path a load looked at, while modelcache records one (None otherwise): a cached
# model is stale once one of them changed, appeared or went away.
_looked: list[str] | None = None


def _look(path: str) -> str:
    if _looked is not None:
        _looked.append(path)
    return path


def load_recording(opts: ProjectOptions) -> tuple[Project, list[str]]:
    """load(opts) and the paths it looked at (the CLI's loads: one at a time)."""
    global _looked
    _looked = []
    try:
        return load(opts), _looked
    finally:
        _looked = None


_NAME_OK = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalize_name(name: str) -> str:
    """compose-go's NormalizeProjectName: lower case, only [a-z0-9_-], no leading - or _."""
    name = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return name.lstrip("_-")


def find_files(start: str) -> list[str]:
    """The default file (and its override) in `start` or the nearest parent directory."""
    d = os.path.abspath(start)
    while True:
        for name in DEFAULT_FILES:
            path = os.path.join(d, name)
            if os.path.isfile(_look(path)):
                found = [path]
                for o in OVERRIDE_FILES:
                    op = os.path.join(d, o)
                    if os.path.isfile(_look(op)):
                        found.append(op)
                        break
                return found
        parent = os.path.dirname(d)
        if parent == d:
            raise ComposeError("no configuration file provided: not found")
        d = parent


def load(opts: ProjectOptions) -> Project:
    """The project the options describe; ComposeError on anything invalid."""
    environ = dict(os.environ if opts.environ is None else opts.environ)
    workdir = os.path.abspath(opts.workdir or os.getcwd())
    files = list(opts.files)
    if not files and environ.get("COMPOSE_FILE"):
        sep = environ.get("COMPOSE_PATH_SEPARATOR", os.pathsep)
        files = [f for f in environ["COMPOSE_FILE"].split(sep) if f]
    base_dir = os.path.join(workdir, opts.project_directory) if opts.project_directory else ""
    if not files:
        files = find_files(base_dir or workdir)
    files = [f if f == "-" else os.path.abspath(os.path.join(workdir, f)) for f in files]
    for f in files:
        if f != "-" and not os.path.isfile(_look(f)):
            raise ComposeError(f"open {f}: no such file or directory")
    project_dir = os.path.normpath(base_dir) if base_dir else (
        workdir if files[0] == "-" else os.path.dirname(files[0]))

    env = _project_env(opts, environ, project_dir, workdir)
    texts = [(f, _read(f, opts)) for f in files]
    model: dict = {}
    warn = opts.warn
    for name, text in texts:
        doc = _load_doc(text, name, env, project_dir, opts.interpolate, warn)
        # extends is resolved inside each file, before the files merge (compose-go).
        own = doc.get("services")
        if isinstance(own, dict):
            for svc_name in list(own):
                if isinstance(own[svc_name], dict) and own[svc_name].get("extends"):
                    own[svc_name] = _extends(svc_name, strip_tags(own), name, project_dir,
                                             env, opts, set())
        model = merge(model, doc) if model else strip_tags(doc)

    model = _includes(model, env, project_dir, opts, files[0])
    services = model.get("services") or {}
    name = _project_name(opts, env, model, project_dir)
    profiles = _active_profiles(opts, env)
    env_files: dict[str, list] = {}
    declared: dict[str, dict] = {}
    for svc_name, svc in services.items():
        declared[svc_name] = _declared_env(svc, env, project_dir)
        _apply_env_files(svc, env, project_dir, env_files.setdefault(svc_name, []))
        _resolve_environment(svc, env)
    model["services"] = services
    enabled, disabled = _profiles(services, profiles, opts.services)
    model["services"] = enabled
    from teu.compose.normalize import normalize

    model = normalize(model, name, project_dir)
    return Project(name, project_dir, files, env, model, profiles, disabled, env_files,
                   declared)


def _declared_env(svc: dict, env: dict, project_dir: str) -> dict:
    """A service's environment (bare keys resolved) and env_file entries (absolute
    paths), before the files are merged into the environment."""
    declared = {"environment": dict(svc.get("environment") or {}), "env_file": []}
    _resolve_environment(declared, env)
    for entry in svc.get("env_file") or []:
        required = entry.get("required", True)
        if isinstance(required, str):
            required = required.lower() == "true"
        declared["env_file"].append({**entry, "required": bool(required),
                                     "path": os.path.join(project_dir, str(entry["path"]))})
    return declared


def _read(path: str, opts: ProjectOptions) -> str:
    if path == "-":
        import sys

        return opts.stdin() if opts.stdin else sys.stdin.read()
    try:
        with open(_look(path), encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise ComposeError(f"{path}: not a UTF-8 text file") from None


def _project_env(opts: ProjectOptions, environ: dict, project_dir: str,
                 workdir: str) -> dict[str, str]:
    """The variables interpolation sees: the env files under the process environment."""
    env: dict[str, str] = {}
    if opts.env_files:
        for f in opts.env_files:
            path = os.path.join(workdir, f)
            env.update(dotenv.read(_look(path), {**env, **environ}))
    else:
        default = os.path.join(project_dir, ".env")
        if os.path.isfile(_look(default)):
            env.update(dotenv.read(default, environ))
    env.update(environ)
    return env


def _load_doc(text: str, name: str, env: dict, workdir: str, interp: bool,
              warn) -> dict:
    doc = parse(text, name)
    if interp:
        doc = interpolate(doc, env, warn, file=name)
    schema.check(doc, name)
    services = doc.get("services")
    if isinstance(services, dict):
        for svc_name, svc in list(services.items()):
            if isinstance(svc, dict):
                services[svc_name] = canonical.service(_cast(svc), svc_name, workdir)
            elif svc is None:
                services[svc_name] = {}
    for kind in ("networks", "volumes", "secrets", "configs"):
        top = doc.get(kind)
        if isinstance(top, dict):
            for k, v in list(top.items()):
                if v is None:
                    top[k] = {}
    return doc


_BOOLS = {"privileged", "read_only", "init", "tty", "stdin_open", "oom_kill_disable"}
_INTS = {"scale", "cpu_shares", "pids_limit", "oom_score_adj", "cpu_count"}


def _cast(svc: dict) -> dict:
    """Interpolated values typed as the schema wants (`"${P:-true}"` is a boolean)."""
    out = dict(svc)
    for k, v in svc.items():
        if isinstance(v, str):
            if k in _BOOLS and v.lower() in ("true", "false"):
                out[k] = v.lower() == "true"
            elif k in _INTS and v.lstrip("-").isdigit():
                out[k] = int(v)
    return out


def _project_name(opts: ProjectOptions, env: dict, model: dict, project_dir: str) -> str:
    for given in (opts.project_name, env.get("COMPOSE_PROJECT_NAME", ""),
                  str(model.get("name") or "")):
        if given:
            if not _NAME_OK.match(given):
                raise ComposeError(
                    f"invalid project name {given!r}: must consist only of lowercase "
                    "alphanumeric characters, hyphens, and underscores as well as start "
                    "with a letter or number")
            return given
    name = normalize_name(os.path.basename(project_dir))
    if not name:
        raise ComposeError(f"project name must not be empty (directory {project_dir!r}); "
                           "give one with -p")
    return name


def _active_profiles(opts: ProjectOptions, env: dict) -> list[str]:
    if opts.profiles:
        return [p for p in opts.profiles if p]
    return [p.strip() for p in env.get("COMPOSE_PROFILES", "").split(",") if p.strip()]


def _profiles(services: dict, active: list[str], named: list[str] | None = None
              ) -> tuple[dict, dict]:
    """(enabled, disabled) services; a service without profiles is always enabled, and
    so is one named on the command line."""
    enabled, disabled = {}, {}
    for name, svc in services.items():
        wanted = svc.get("profiles") or []
        if (not wanted or "*" in active or set(wanted) & set(active)
                or name in (named or [])):
            enabled[name] = svc
        else:
            disabled[name] = svc
    return enabled, disabled


def _apply_env_files(svc: dict, env: dict, project_dir: str,
                     found: list | None = None) -> None:
    files = svc.pop("env_file", None)
    if not files:
        return
    values: dict = {}
    for entry in files:
        path = os.path.join(project_dir, str(entry["path"]))
        required = entry.get("required", True)
        if isinstance(required, str):
            required = required.lower() == "true"
        if not os.path.isfile(_look(path)):
            if required:
                raise ComposeError(f"env file {path} not found: stat {path}: no such file or "
                                   "directory")
            continue
        fmt = entry.get("format")
        if fmt not in (None, "", "raw"):
            raise ComposeError(f"unsupported env_file format {fmt!r} ({path})")
        one = _raw_env(path) if fmt == "raw" else dotenv.read(path, env)
        values.update(one)
        if found is not None:
            found.append([path, one])  # a list: the model cache keeps it as JSON
    merged = {**values, **(svc.get("environment") or {})}
    svc["environment"] = merged


def _raw_env(path: str) -> dict[str, str]:
    """`format: raw`: KEY=VALUE lines taken as written (no quotes, no interpolation)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                k, _, v = line.partition("=")
                out[k.strip()] = v
    return out


def _resolve_environment(svc: dict, env: dict) -> None:
    """A bare `KEY` in environment takes its value from the project's environment."""
    environment = svc.get("environment")
    if not environment:
        return
    for k, v in environment.items():
        if v is None and k in env:
            environment[k] = env[k]


def _includes(model: dict, env: dict, project_dir: str, opts: ProjectOptions,
              first: str, depth: int = 0) -> dict:
    items = model.pop("include", None) or []
    if depth > 10:
        raise ComposeError("include: too deep (a cycle?)")
    for item in items:
        spec = {"path": item} if isinstance(item, str) else dict(item)
        paths = spec.get("path")
        paths = paths if isinstance(paths, list) else [paths]
        paths = [os.path.normpath(os.path.join(project_dir, str(p))) for p in paths]
        sub_dir = os.path.normpath(os.path.join(project_dir, spec["project_directory"])) \
            if spec.get("project_directory") else os.path.dirname(paths[0])
        sub_env = dict(env)
        env_files = spec.get("env_file")
        if env_files:
            for f in env_files if isinstance(env_files, list) else [env_files]:
                sub_env = {**dotenv.read(_look(os.path.join(project_dir, str(f))), env),
                           **env}
        elif os.path.isfile(_look(os.path.join(sub_dir, ".env"))):
            sub_env = {**dotenv.read(os.path.join(sub_dir, ".env"), env), **env}
        sub: dict = {}
        for p in paths:
            if not os.path.isfile(_look(p)):
                raise ComposeError(f"include: open {p}: no such file or directory")
            doc = _load_doc(_read(p, opts), p, sub_env, sub_dir, opts.interpolate, opts.warn)
            sub = merge(sub, doc) if sub else strip_tags(doc)
        sub = _includes(sub, sub_env, sub_dir, opts, p, depth + 1)
        for name in list(sub.get("services") or {}):
            sub["services"][name] = _extends(name, sub["services"], paths[0], sub_dir,
                                             sub_env, opts, set())
            _apply_env_files(sub["services"][name], sub_env, sub_dir)
        for kind in ("services", "networks", "volumes", "secrets", "configs"):
            for k, v in (sub.get(kind) or {}).items():
                mine = model.setdefault(kind, {})
                if k in mine and mine[k] != v:
                    raise ComposeError(f"{kind[:-1]} {k!r} from include {paths[0]} is "
                                       "already defined in the project")
                mine[k] = v
    return model


def _extends(name: str, services: dict, file: str, project_dir: str, env: dict,
             opts: ProjectOptions, seen: set) -> dict:
    svc = services[name]
    ext = svc.get("extends")
    if not ext:
        return svc
    spec = {"service": ext} if isinstance(ext, str) else dict(ext)
    base_name = spec.get("service")
    if not base_name:
        raise ComposeError(f"services.{name}.extends: service is required")
    key = (spec.get("file") or file, base_name)
    if key in seen:
        raise ComposeError(f"services.{name}.extends: circular reference to {base_name}")
    seen = seen | {key}
    if spec.get("file"):
        path = os.path.normpath(os.path.join(project_dir, str(spec["file"])))
        if not os.path.isfile(_look(path)):
            raise ComposeError(f"services.{name}.extends: open {path}: no such file or "
                               "directory")
        other_dir = os.path.dirname(path)
        doc = _load_doc(_read(path, opts), path, env, other_dir, opts.interpolate, opts.warn)
        pool = strip_tags(doc).get("services") or {}
        if base_name not in pool:
            raise ComposeError(f"cannot extend service {name!r} in {file}: service "
                               f"{base_name!r} not found in {path}")
        base = _extends(base_name, pool, path, other_dir, env, opts, seen)
    else:
        if base_name not in services:
            raise ComposeError(f"cannot extend service {name!r} in {file}: service "
                               f"{base_name!r} not found")
        base = _extends(base_name, services, file, project_dir, env, opts, seen)
    own = {k: v for k, v in svc.items() if k != "extends"}
    return merge(base, own, f"services.{name}")
