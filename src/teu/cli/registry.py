"""`teu registry serve|gc`: run an OCI distribution registry, collect its garbage."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from teu.cli._flags import BOOL, STR, Flag, parse_or_help
from teu.errors import TeuError

if TYPE_CHECKING:
    from teu.registry.server.config import Config

USAGE = """
Usage:  teu registry COMMAND

Run an OCI distribution registry

Commands:
  gc          Delete blobs no manifest references
  serve       Serve a registry

Run 'teu registry COMMAND --help' for more information on a command.
"""

ROOT = Flag("root", None, STR, "Storage directory (default /var/lib/teu/registry)")
CONFIG = Flag("config", None, STR, "TOML configuration file")
SERVE_FLAGS = [
    Flag("addr", None, STR, "HOST:PORT to listen on (default 127.0.0.1:5000)"), ROOT, CONFIG,
    Flag("tls-cert", None, STR, "PEM certificate: serve HTTPS"),
    Flag("tls-key", None, STR, "PEM private key for --tls-cert"),
    Flag("htpasswd", None, STR, "htpasswd file (bcrypt): require basic auth"),
    Flag("read-only", None, BOOL, "Refuse every write"),
    Flag("delete", None, BOOL, "Allow deleting manifests and blobs"),
    Flag("no-fsync", None, BOOL, "Do not sync blobs to disk (tests and benchmarks)"),
    Flag("no-access-log", None, BOOL, "Do not log each request"),
]
GC_FLAGS = [
    ROOT, CONFIG,
    Flag("dry-run", None, BOOL, "Only say what would be deleted"),
    Flag("delete-untagged", None, BOOL, "Also delete manifests no tag reaches (referrers of "
         "kept ones stay)"),
    Flag("grace", None, STR, "Keep blobs younger than this many seconds (default 3600)",
         "seconds"),
]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    verb, rest = argv[0], argv[1:]
    if verb not in ("serve", "gc"):
        sys.stdout.write(USAGE)
        print(f"teu registry: unknown command {verb!r}", file=sys.stderr)
        return 1
    if verb == "gc":
        parsed = parse_or_help(rest, GC_FLAGS, "teu registry gc", "[OPTIONS]",
                               "Delete blobs no manifest references", True, 0, 0)
    else:
        parsed = parse_or_help(rest, SERVE_FLAGS, "teu registry serve", "[OPTIONS]",
                               "Serve an OCI distribution registry", True, 0, 0)
    if parsed is None:
        return 0
    opts = parsed[0]
    from teu.registry.server import config as C

    cfg = C.load(opts.get("config"))
    if opts.get("root"):
        cfg.root = opts["root"]
    if verb == "gc":
        grace_text = opts.get("grace", "3600")
        try:
            grace = float(grace_text)
        except ValueError:
            raise TeuError(f"--grace: {grace_text!r} is not a number of seconds") from None
        return _gc(cfg, bool(opts.get("dry_run")), grace, bool(opts.get("delete_untagged")))
    for flag in ("addr", "tls_cert", "tls_key", "htpasswd"):
        value = opts.get(flag)
        if value:
            setattr(cfg, flag, value)
    if opts.get("read_only"):
        cfg.read_only = True
    if opts.get("delete"):
        cfg.delete = True
    if opts.get("no_fsync"):
        cfg.fsync = False
    if opts.get("no_access_log"):
        cfg.access_log = False
    from teu.registry.server.serve import serve

    serve(cfg)
    return 0


def _gc(cfg: Config, dry_run: bool, grace: float, delete_untagged: bool) -> int:
    import os

    from teu.registry.server.gc import collect
    from teu.registry.server.storage.filesystem import FilesystemStorage

    if not os.path.isdir(os.path.join(cfg.root, "blobs")):
        raise TeuError(f"{cfg.root}: not a registry storage root")
    result = collect(FilesystemStorage(cfg.root), dry_run=dry_run, grace=grace,
                     delete_untagged=delete_untagged)
    verb = "would delete" if dry_run else "deleted"
    for repo, digest in result.untagged_removed:
        print(f"{verb} untagged manifest {repo}@{digest}")
    for blob in result.deleted:
        print(f"{verb} {blob}")
    print(f"{len(result.marked)} blobs in use, {verb} {len(result.deleted)} "
          f"({result.freed_bytes} bytes), kept {len(result.kept_young)} younger than "
          f"{grace:g}s", file=sys.stderr)
    return 0
