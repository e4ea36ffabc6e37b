"""`teu scan [OPTIONS] IMAGE` and `teu scan db import|status|push|pull`."""

from __future__ import annotations

import sys

from teu.cli import _flags as F
from teu.cli import _scanopts as S
from teu.errors import TeuError

FORMATS = ("table", "json", "sarif", "cyclonedx-vex")
DB = F.Flag("db", None, F.STR, "the vulnerability database (default: $TEU_SCAN_DB or "
            "ROOT/scan/vuln.db)", "FILE")
FLAGS = [
    F.Flag("severity", "s", F.STR, "severities to report (default "
           "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)"),
    F.Flag("ignore-unfixed", None, F.BOOL, "leave out vulnerabilities with no fix yet"),
    F.Flag("exit-code", None, F.STR, "exit with this code when anything is reported "
           "(default 0)", "N"),
    F.Flag("format", "f", F.STR, "table, json, sarif or cyclonedx-vex (default table)"),
    F.Flag("ignorefile", None, F.STR, "IDs to leave out, one a line (default .teuignore)",
           "FILE"),
    F.Flag("output", "o", F.STR, "write the report to FILE", "FILE"),
    F.Flag("no-cache", None, F.BOOL, "read every layer again instead of the scan cache"),
    DB, S.ROOT,
]
DB_FLAGS = [DB, S.ROOT,
            F.Flag("tls-verify", None, F.STR, "push/pull: require HTTPS (default true, except "
                   "loopback)", "BOOL"),
            F.Flag("creds", None, F.STR, "push/pull: USER:PASSWORD for the registry")]
DB_USAGE = """Usage:  teu scan db COMMAND

  import FILE|DIR|URL...   load OSV JSON records and the Debian security tracker's JSON
  status                   sources, counts and age of the database
  push REF                 upload the database to a registry as an OCI artifact
  pull REF                 download a database pushed with `teu scan db push`
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["db"]:
        return _db(argv[1:])
    parsed = S.parse(argv, FLAGS, "teu scan", "[OPTIONS] IMAGE | db COMMAND",
                     "Find known vulnerabilities in an image, from the local database.", 1, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    fmt = S.one_of(opts.get("format", "table"), FORMATS, "format")
    exit_code = opts.get("exit_code", "0")
    if not exit_code.isdigit() or int(exit_code) > 255:
        raise TeuError(f"--exit-code: {exit_code!r} is not a number from 0 to 255", 125)
    from teu import __version__
    from teu.scan import ignore
    from teu.scan import resultcache as RC
    from teu.scan.vulndb.paths import default_path

    root = S.store_root(opts)
    db_path = opts.get("db") or default_path(root)
    ignored = ignore.load(opts.get("ignorefile", ".teuignore"))
    cache = RC.ResultCache(root)
    gen = RC.db_generation(db_path)
    key = (RC.make_key(__version__, root, args[0], db_path, gen,
                       RC.severity_key(opts.get("severity")), bool(opts.get("ignore_unfixed")),
                       ignored, fmt) if gen is not None else None)
    if key is not None and not opts.get("no_cache"):
        hit = cache.get(key)
        if hit is not None and RC.still_resolves(root, hit["how"], hit["image_id"]):
            return _report(hit["warnings"], hit["output"], hit["findings"], opts, exit_code)

    from teu.image.store import Store
    from teu.scan.report.render import render
    from teu.scan.scanner import ScanOptions, parse_severities, scan

    so = ScanOptions(use_cache=not opts.get("no_cache"),
                     ignore_unfixed=bool(opts.get("ignore_unfixed")), ignored=ignored)
    if opts.get("severity"):
        so.severities = parse_severities(opts["severity"])
    with Store(root) as st:
        result = scan(st, args[0], db_path, so)
    warnings = [str(w) for w in result.inventory.errors]
    output = render(fmt, result.inventory, result.findings, result.warnings)
    how = RC.resolution(args[0])
    if key is not None and how is not None:
        try:
            cache.put(key, result.inventory.image_id, how, output, warnings,
                      len(result.findings))
        except OSError as e:   # a full disk or a read-only store: the scan still reports
            print(f"teu scan: warning: scan cache not written: {e.strerror or e}",
                  file=sys.stderr)
    return _report(warnings, output, len(result.findings), opts, exit_code)


def _report(warnings: list[str], output: str, findings: int, opts: dict,
            exit_code: str) -> int:
    for w in warnings:
        print(f"teu scan: warning: {w}", file=sys.stderr)
    S.write(output, opts.get("output"))
    return int(exit_code) if findings else 0


def _db(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(DB_USAGE)
        return 0 if argv else 125
    verb, rest = argv[0], argv[1:]
    parsed = S.parse(rest, DB_FLAGS, f"teu scan db {verb}", "[OPTIONS] ...", DB_USAGE)
    if parsed is None:
        return 0
    opts, args = parsed
    from teu.scan.vulndb.db import default_path

    path = opts.get("db") or default_path(S.store_root(opts))
    if verb == "import":
        if not args:
            raise TeuError("\"teu scan db import\" requires at least 1 argument.", 1)
        from teu.scan.vulndb.importer import import_inputs

        r = import_inputs(path, args)
        stored = ", ".join(f"{n} from {s}" for s, n in sorted(r.records.items())) or "nothing"
        print(f"imported {stored} ({r.files} files, {r.skipped} records skipped) into {path}")
        return 0
    if verb == "status":
        from teu.scan.vulndb.db import open_db, status

        conn = open_db(path)
        try:
            sources, counts = status(conn)
        finally:
            conn.close()
        print(f"database: {path}")
        for s in sources:
            print(f"  {s.name}: {s.records} records, {s.skipped} skipped, imported "
                  f"{s.age()} ago from {s.origin}")
        print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    if verb in ("push", "pull"):
        if len(args) != 1:
            raise TeuError(f"\"teu scan db {verb}\" requires exactly 1 argument: REF.", 1)
        from teu.cli._imageopts import creds, tls_verify
        from teu.scan.vulndb import artifact

        fn = artifact.push if verb == "push" else artifact.pull
        digest = fn(path, args[0], tls_verify(opts.get("tls_verify")), creds(opts.get("creds")))
        print(f"{args[0]}: {digest}")
        return 0
    raise TeuError(f"db: unknown command {verb!r} (import, status, push, pull)", 125)
