"""`teu registry serve|gc`: run an OCI distribution registry, collect its garbage."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from teu.errors import TeuError

if TYPE_CHECKING:
    from teu.registry.server.config import Config


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 125 (docker's convention)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise TeuError(message, 125)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="teu registry", description="An OCI distribution registry.")
    sub = p.add_subparsers(dest="verb", parser_class=_Parser)
    s = sub.add_parser("serve", help="serve a registry")
    s.add_argument("--addr", help="HOST:PORT to listen on (default 127.0.0.1:5000)")
    s.add_argument("--root", help="storage directory (default /var/lib/teu/registry)")
    s.add_argument("--config", help="TOML configuration file")
    s.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    s.add_argument("--tls-key", help="PEM private key for --tls-cert")
    s.add_argument("--htpasswd", help="htpasswd file (bcrypt): require basic auth")
    s.add_argument("--read-only", action="store_true", help="refuse every write")
    s.add_argument("--delete", action="store_true", help="allow deleting manifests and blobs")
    s.add_argument("--no-fsync", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--no-access-log", action="store_true", help="do not log each request")
    g = sub.add_parser("gc", help="delete blobs no manifest references")
    g.add_argument("--root", help="storage directory (default /var/lib/teu/registry)")
    g.add_argument("--config", help="TOML configuration file (for its storage root)")
    g.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    g.add_argument("--delete-untagged", action="store_true",
                   help="also delete manifests no tag reaches (referrers of kept ones stay)")
    g.add_argument("--grace", type=float, default=3600.0,
                   help="keep blobs younger than this many seconds (default 3600)")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.verb is None:
        raise TeuError("usage: teu registry serve|gc [FLAGS]", 125)
    from teu.registry.server import config as C

    cfg = C.load(args.config)
    if args.root:
        cfg.root = args.root
    if args.verb == "gc":
        return _gc(cfg, args.dry_run, args.grace, args.delete_untagged)
    for flag in ("addr", "tls_cert", "tls_key", "htpasswd"):
        value = getattr(args, flag)
        if value:
            setattr(cfg, flag, value)
    if args.read_only:
        cfg.read_only = True
    if args.delete:
        cfg.delete = True
    if args.no_fsync:
        cfg.fsync = False
    if args.no_access_log:
        cfg.access_log = False
    from teu.registry.server.serve import serve

    serve(cfg)
    return 0


def _gc(cfg: Config, dry_run: bool, grace: float, delete_untagged: bool) -> int:
    import os

    from teu.registry.server.gc import collect
    from teu.registry.server.storage.filesystem import FilesystemStorage

    if not os.path.isdir(os.path.join(cfg.root, "blobs")):
        raise TeuError(f"{cfg.root}: not a registry storage root", 125)
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
