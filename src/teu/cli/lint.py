"""`teu lint [OPTIONS] DOCKERFILE|IMAGE|COMPOSE_FILE|MANIFEST` or `teu lint --run "teu run ..."`.

Exit codes as hadolint's: 1 when a finding is at or above --failure-threshold
(default warning), else 0. The --run line is parsed with `teu run`'s own flag
table (teu.cli._container_flags), so lint and run never disagree on a flag."""

from __future__ import annotations

import os
import shlex

from teu.cli import _flags as F
from teu.cli import _scanopts as S
from teu.errors import TeuError

FLAGS = [
    F.Flag("format", "f", F.STR, "text, json or sarif (default text)"),
    F.Flag("failure-threshold", "t", F.STR, "exit 1 at or above: error, warning, info, style "
           "or none (default warning)"),
    F.Flag("ignore", None, F.LIST, "leave out a rule (repeatable)", "RULE"),
    F.Flag("run", None, F.STR, "lint a `teu run ...` command line instead", "COMMAND"),
    F.Flag("output", "o", F.STR, "write the report to FILE", "FILE"),
    S.ROOT,
]
THRESHOLDS = ("error", "warning", "info", "style", "none")
# Flags of `docker run` the lint reads that teu run's table may not have (yet).
_EXTRA_RUN = [F.Flag("detach", "d", F.BOOL), F.Flag("publish", "p", F.LIST),
              F.Flag("expose", None, F.LIST), F.Flag("pid", None, F.STR),
              F.Flag("ipc", None, F.STR), F.Flag("uts", None, F.STR),
              F.Flag("userns", None, F.STR), F.Flag("cpu-quota", None, F.STR),
              F.Flag("publish-all", "P", F.BOOL)]


def main(argv: list[str]) -> int:
    parsed = S.parse(argv, FLAGS, "teu lint",
                     "[OPTIONS] DOCKERFILE|IMAGE|COMPOSE_FILE|MANIFEST | --run \"teu run ...\"",
                     "Check for the common mistakes: root, latest, secrets, no limits, ...")
    if parsed is None:
        return 0
    opts, args = parsed
    fmt = S.one_of(opts.get("format", "text"), ("text", "json", "sarif"), "format")
    threshold = S.one_of(opts.get("failure-threshold", opts.get("failure_threshold",
                                                                "warning")),
                         THRESHOLDS, "failure-threshold")
    if opts.get("run"):
        if args:
            raise TeuError("--run takes no other argument", 125)
        findings = _lint_run(opts["run"], opts)
    elif len(args) == 1:
        findings = _lint_target(args[0], opts)
    else:
        raise TeuError("\"teu lint\" requires exactly 1 argument (or --run).", 1)
    from teu.scan.lint.findings import at_or_above, render

    ignored = set(opts.get("ignore", []))
    findings = [f for f in findings if f.rule not in ignored]
    S.write(render(fmt, findings), opts.get("output"))
    return 1 if at_or_above(findings, threshold) else 0


def _lint_target(target: str, opts: dict) -> list:
    from teu.scan.lint.target import lint_target

    return lint_target(target, S.store_root(opts))


def _lint_run(line: str, opts: dict) -> list:
    from teu.cli._container_flags import CREATE_FLAGS
    from teu.scan.lint.runspec import lint_run

    try:
        words = shlex.split(line)
    except ValueError as e:
        raise TeuError(f"--run: {e}", 125) from None
    while words and os.path.basename(words[0]) in ("teu", "docker", "podman", "sudo",
                                                   "container"):
        words = words[1:]
    if words[:1] in (["run"], ["create"]):
        words = words[1:]
    known = {f.name for f in CREATE_FLAGS}
    shorts = {f.short for f in CREATE_FLAGS if f.short}
    table = CREATE_FLAGS + [f for f in _EXTRA_RUN if f.name not in known
                            and (f.short is None or f.short not in shorts)]
    try:
        run_opts, rest = F.parse(words, table, interspersed=False, prog="teu run")
    except TeuError as e:
        raise TeuError(f"--run: {str(e).splitlines()[0]}", 125) from None
    if not rest:
        raise TeuError("--run: no image in the command line", 125)
    image = rest[0]
    config = None
    from teu.image.store import Store

    try:
        with Store(S.store_root(opts)) as st:
            import json

            config = json.loads(st.image(image).raw_config())
    except (TeuError, OSError, ValueError):
        config = None      # not in the store: judged on the flags alone
    return lint_run(run_opts, image, config)
