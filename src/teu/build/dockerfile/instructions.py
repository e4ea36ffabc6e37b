"""Nodes -> typed instructions and stages, with BuildKit's argument checks and messages.

Values are kept as written: variables are expanded when the stage is built (they
depend on ARG and ENV values only known then). Pure: no filesystem, no engine.
"""

from __future__ import annotations

import re

from teu.build.dockerfile import parser as P
from teu.build.errors import DockerfileError
from teu.build.record import field, record

ALL = ("add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck",
       "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume",
       "workdir")
_STAGE_NAME = r"^[a-z][a-z0-9\-_.]*$"  # compiled on first use (re caches it)


@record
class Instruction:
    keyword: str           # upper case, as docker names it: "RUN"
    line: int
    end_line: int
    original: str          # the logical line as written
    comments: list[str] = field(default_factory=list)

    def source(self) -> str:
        return self.original.strip()


@record
class Run(Instruction):
    cmd: list[str] = field(default_factory=list)
    shell_form: bool = True
    heredocs: list[P.Heredoc] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    network: str = ""
    security: str = ""


@record
class Cmd(Instruction):
    cmd: list[str] = field(default_factory=list)
    shell_form: bool = True


@record
class Entrypoint(Instruction):
    cmd: list[str] | None = None
    shell_form: bool = True


@record
class CopyLike(Instruction):
    sources: list[str] = field(default_factory=list)
    contents: list[P.Heredoc] = field(default_factory=list)  # heredoc sources
    dest: str = ""
    chown: str = ""
    chmod: str = ""
    link: bool = False
    excludes: list[str] = field(default_factory=list)
    json: bool = False


@record
class Copy(CopyLike):
    from_: str = ""
    parents: bool = False


@record
class Add(CopyLike):
    checksum: str = ""
    keep_git_dir: bool = False
    unpack: bool | None = None


@record
class KeyValues(Instruction):
    pairs: list[tuple[str, str]] = field(default_factory=list)
    legacy: bool = False   # `ENV key value`


class Env(KeyValues):
    pass


class Label(KeyValues):
    pass


@record
class Arg(Instruction):
    pairs: list[tuple[str, str | None]] = field(default_factory=list)


@record
class Expose(Instruction):
    ports: list[str] = field(default_factory=list)


@record
class Volume(Instruction):
    paths: list[str] = field(default_factory=list)


@record
class User(Instruction):
    user: str = ""


@record
class Workdir(Instruction):
    path: str = ""


@record
class StopSignal(Instruction):
    signal: str = ""


@record
class Maintainer(Instruction):
    name: str = ""


@record
class Shell(Instruction):
    shell: list[str] = field(default_factory=list)


@record
class Healthcheck(Instruction):
    test: list[str] = field(default_factory=list)   # ["NONE"] | ["CMD", ...] | ["CMD-SHELL", s]
    interval: int = 0          # nanoseconds, as docker's config stores them
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@record
class OnBuild(Instruction):
    expression: str = ""


@record
class From(Instruction):
    base: str = ""
    name: str = ""            # lower case
    written_name: str = ""
    platform: str = ""
    written: str = "FROM"     # the keyword's case (FromAsCasing)
    as_word: str = ""


@record
class Stage:
    index: int
    from_: From
    commands: list[Instruction] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.from_.name

    @property
    def base(self) -> str:
        return self.from_.base

    def label(self) -> str:
        return self.name or f"stage-{self.index}"


@record
class Dockerfile:
    stages: list[Stage]
    meta_args: list[Arg]
    parsed: P.Parsed

    def stage(self, ref: str) -> Stage | None:
        """A stage by name (any case) or index."""
        for s in self.stages:
            if s.name and s.name == ref.lower():
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None


# -- flags (BuildKit's bflag) ---------------------------------------------------------


class _Flags:
    def __init__(self, given: list[str]) -> None:
        self.given = given
        self.kinds: dict[str, str] = {}

    def parse(self, **kinds: str) -> dict[str, object]:
        """kinds: name -> "str" | "bool" | "list" (names with _ for -)."""
        spec = {k.rstrip("_").replace("_", "-"): v for k, v in kinds.items()}
        out: dict[str, object] = {k: ([] if v == "list" else "" if v == "str" else None)
                                  for k, v in spec.items()}
        seen: set[str] = set()
        for arg in self.given:
            if not arg.startswith("--"):
                raise DockerfileError(f"arg should start with -- : {arg}")
            name, eq, value = arg[2:].partition("=")
            kind = spec.get(name)
            if kind is None:
                raise DockerfileError(f"unknown flag: {name}")
            if name in seen and kind != "list":
                raise DockerfileError(f"duplicate flag specified: {name}")
            seen.add(name)
            if kind == "bool":
                if eq and value.lower() not in ("true", "false"):
                    raise DockerfileError(f"expecting boolean value for flag {name}, not: "
                                          f"{value}")
                out[name] = not eq or value.lower() == "true"
            elif not eq:
                raise DockerfileError(f"missing a value on flag: {name}")
            elif kind == "list":
                out[name].append(value)  # type: ignore[attr-defined]
            else:
                out[name] = value
        return out


def _at_least_one(word: str) -> DockerfileError:
    return DockerfileError(f"{word} requires at least one argument")


def _exactly_one(word: str) -> DockerfileError:
    return DockerfileError(f"{word} requires exactly one argument")


def _duration(value: str, name: str) -> int:
    """A Go duration ("30s", "1m30s", "500ms") in nanoseconds."""
    if not value:
        return 0
    units = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
             "m": 60_000_000_000, "h": 3_600_000_000_000}
    total = 0.0
    pos = 0
    if value == "0":
        return 0
    for m in re.finditer(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", value):
        if m.start() != pos:
            break
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(value) or pos == 0:
        raise DockerfileError(f'time: invalid duration "{value}"')
    ns = int(total)
    if 0 < ns < 1_000_000:
        raise DockerfileError(f'Interval "{name}" cannot be less than 1ms')
    return ns


# -- node -> instruction ---------------------------------------------------------------


def instruction(node: P.Node) -> Instruction | From:
    kw = node.keyword
    base = dict(keyword=kw.upper(), line=node.line, end_line=node.end_line,
                original=node.original, comments=node.comments)
    flags = _Flags(node.flags)
    args = node.args
    if kw == "from":
        f = flags.parse(platform="str")
        if len(args) == 3 and args[1].lower() == "as":
            name = args[2].lower()
            if not re.match(_STAGE_NAME, name):
                raise DockerfileError(f'invalid name for build stage: "{args[2]}", name can\'t '
                                      "start with a number or contain symbols")
        elif len(args) != 1:
            raise DockerfileError("FROM requires either one or three arguments")
        else:
            name = ""
        return From(**base, base=args[0], name=name,
                    written_name=args[2] if len(args) == 3 else "",
                    platform=str(f["platform"]), written=node.written,
                    as_word=args[1] if len(args) == 3 else "")
    if kw == "run":
        f = flags.parse(mount="list", network="str", security="str", device="list")
        if f["device"]:
            raise DockerfileError("RUN --device is not supported by teu build")
        return Run(**base, cmd=list(args), shell_form=not node.json,
                   heredocs=list(node.heredocs), mounts=list(f["mount"]),  # type: ignore[arg-type]
                   network=str(f["network"]), security=str(f["security"]))
    if kw == "cmd":
        flags.parse()
        return Cmd(**base, cmd=list(args), shell_form=not node.json)
    if kw == "entrypoint":
        flags.parse()
        return Entrypoint(**base, cmd=list(args) or None, shell_form=not node.json)
    if kw in ("copy", "add"):
        return _copy_like(node, base, flags)
    if kw in ("env", "label"):
        flags.parse()
        if not node.pairs:
            raise _at_least_one(kw.upper())
        for k, _, _ in node.pairs:
            if not k:
                raise DockerfileError(f"{kw.upper()} names can not be blank")
        cls = Env if kw == "env" else Label
        return cls(**base, pairs=[(k, v) for k, v, _ in node.pairs],
                   legacy=not node.pairs[0][2])
    if kw == "arg":
        flags.parse()
        if not args:
            raise _at_least_one("ARG")
        pairs: list[tuple[str, str | None]] = []
        for a in args:
            if "=" in a:
                k, _, v = a.partition("=")
                if not k:
                    raise DockerfileError("ARG names can not be blank")
                pairs.append((k, v))
            else:
                pairs.append((a, None))
        return Arg(**base, pairs=pairs)
    if kw == "expose":
        if not args:
            raise _at_least_one("EXPOSE")
        flags.parse()
        return Expose(**base, ports=sorted(args))
    if kw == "volume":
        if not args:
            raise _at_least_one("VOLUME")
        flags.parse()
        paths = [a.strip() for a in args]
        if any(not p for p in paths):
            raise DockerfileError("VOLUME specified can not be an empty string")
        return Volume(**base, paths=paths)
    if kw in ("user", "workdir", "stopsignal", "maintainer"):
        if len(args) != 1:
            raise _exactly_one(kw.upper())
        flags.parse()
        value = args[0]
        if kw == "user":
            return User(**base, user=value)
        if kw == "workdir":
            return Workdir(**base, path=value)
        if kw == "stopsignal":
            return StopSignal(**base, signal=value)
        return Maintainer(**base, name=value)
    if kw == "shell":
        flags.parse()
        if not args:
            raise _at_least_one("SHELL")
        if not node.json:
            raise DockerfileError("SHELL requires the arguments to be in JSON form")
        return Shell(**base, shell=list(args))
    if kw == "healthcheck":
        return _healthcheck(node, base, flags)
    if kw == "onbuild":
        if not args:
            raise _at_least_one("ONBUILD")
        flags.parse()
        trigger = args[0].upper()
        if trigger == "ONBUILD":
            raise DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise DockerfileError(f"{trigger} isn't allowed as an ONBUILD trigger")
        expr = re.sub(r"(?i)^\s*ONBUILD\s*", "", node.original)
        for h in node.heredocs:
            expr += "\n" + h.content + h.name
        return OnBuild(**base, expression=expr)
    import difflib  # only for an unknown instruction

    hint = difflib.get_close_matches(kw, ALL, n=1)
    more = f" (did you mean {hint[0]}?)" if hint else ""
    raise DockerfileError(f"unknown instruction: {node.written}{more}")


def _copy_like(node: P.Node, base: dict, flags: _Flags) -> CopyLike:
    word = node.keyword.upper()
    if len(node.args) < 2:
        raise DockerfileError(f"{word} requires at least two arguments, but only one was "
                              "provided. Destination could not be determined")
    if word == "COPY":
        f = flags.parse(chown="str", chmod="str", link="bool", exclude="list", from_="str",
                        parents="bool")
    else:
        f = flags.parse(chown="str", chmod="str", link="bool", exclude="list",
                        checksum="str", keep_git_dir="bool", unpack="bool")
    srcs, dest = node.args[:-1], node.args[-1]
    if P.parse_heredoc(dest) is not None:
        raise DockerfileError(f"{word} cannot accept a heredoc as a destination")
    docs = {h.name: h for h in node.heredocs}
    paths: list[str] = []
    contents: list[P.Heredoc] = []
    for s in srcs:
        h = P.parse_heredoc(s) if not node.json else None
        if h is not None:
            found = docs.get(h.name)
            contents.append(P.Heredoc(h.name, found.content if found else "", h.expand,
                                      h.chomp))
        else:
            paths.append(s)
    common = dict(sources=paths, contents=contents, dest=dest, chown=str(f["chown"]),
                  chmod=str(f["chmod"]), link=bool(f["link"]),
                  excludes=list(f["exclude"]), json=node.json)  # type: ignore[arg-type]
    if word == "COPY":
        return Copy(**base, **common, from_=str(f["from"]), parents=bool(f["parents"]))
    return Add(**base, **common, checksum=str(f["checksum"]),
               keep_git_dir=bool(f["keep-git-dir"]), unpack=f["unpack"])  # type: ignore[arg-type]


def _healthcheck(node: P.Node, base: dict, flags: _Flags) -> Healthcheck:
    if not node.args:
        raise _at_least_one("HEALTHCHECK")
    typ = node.args[0].upper()
    rest = node.args[1:]
    if typ == "NONE":
        if rest:
            raise DockerfileError("HEALTHCHECK NONE takes no arguments")
        return Healthcheck(**base, test=["NONE"])
    f = flags.parse(interval="str", timeout="str", start_period="str", start_interval="str",
                    retries="str")
    if typ != "CMD":
        raise DockerfileError(f'Unknown type "{typ}" in HEALTHCHECK (try CMD)')
    if not rest:
        raise DockerfileError("Missing command after HEALTHCHECK CMD")
    test = ["CMD", *rest] if node.json else ["CMD-SHELL", *rest]
    retries = 0
    if f["retries"]:
        try:
            retries = int(str(f["retries"]))
        except ValueError:
            raise DockerfileError(f'strconv.ParseInt: parsing "{f["retries"]}": invalid '
                                  "syntax") from None
        if retries < 0:
            raise DockerfileError(f"--retries cannot be negative ({retries})")
    return Healthcheck(**base, test=test,
                       interval=_duration(str(f["interval"]), "interval"),
                       timeout=_duration(str(f["timeout"]), "timeout"),
                       start_period=_duration(str(f["start-period"]), "start-period"),
                       start_interval=_duration(str(f["start-interval"]), "start-interval"),
                       retries=retries)


# -- the whole file ----------------------------------------------------------------------


def load(text: str | bytes, file: str = "Dockerfile") -> Dockerfile:
    """Parse a Dockerfile into stages and the ARGs before the first FROM."""
    parsed = P.parse(text, file)
    stages: list[Stage] = []
    meta: list[Arg] = []
    for node in parsed.nodes:
        try:
            ins = instruction(node)
        except DockerfileError as e:
            e.instruction = e.instruction or node.keyword
            raise e.located(file, node.line) from None
        if isinstance(ins, From):
            stages.append(Stage(len(stages), ins))
            continue
        if not stages:
            if isinstance(ins, Arg):
                meta.append(ins)
                continue
            raise DockerfileError("no build stage in current context", node.line, file,
                                  ins.keyword)
        stages[-1].commands.append(ins)
    return Dockerfile(stages, meta, parsed)
