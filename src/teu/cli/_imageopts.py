"""What the image verbs (pull, push, images, image ..., save, load, ...) share:
argument parsing with docker's one-line usage errors, --root, --tls-verify,
and turning every failure into one line and exit 125 (never a traceback)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from teu.errors import TeuError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 125 (docker's convention)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise TeuError(f"{message} (see '{self.prog} --help')", 125)


def parser(prog: str, description: str) -> Parser:
    p = Parser(prog=prog, description=description)
    add_root(p)
    return p


def add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=None,
                   help="store directory (default: $TEU_ROOT or /var/lib/teu)")


def add_registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tls-verify", nargs="?", const="true", default=None, metavar="BOOL",
                   help="require HTTPS and verify certificates (default: true, except "
                        "loopback registries)")
    p.add_argument("--authfile", help="credentials file (default: docker's config.json)")
    p.add_argument("--creds", metavar="USER[:PASSWORD]", help="credentials for the registry")


def tls_verify(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise TeuError(f"--tls-verify: {value!r} is not true or false", 125)


def creds(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep:
        import getpass

        password = getpass.getpass("Password: ")
    return user, password


def store(root: str | None):
    from teu.image.store import Store

    return Store(root)


def run(what: str, fn: Callable[[], int]) -> int:
    """Call fn; any failure becomes a TeuError (exit 125) whose one line names `what`."""
    try:
        return fn()
    except TeuError as e:
        msg = str(e)
        raise TeuError(msg if what in msg or not what else f"{what}: {msg}", 125) from None
    except OSError as e:
        reason = e.strerror or str(e)
        if e.filename and e.strerror:
            reason = f"{e.filename}: {e.strerror}"
        raise TeuError(f"{what}: {reason}" if what else reason, 125) from None
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one line, never a traceback
        # sqlite3 on a full disk ("database or disk is full"), malformed input that
        # slipped past validation, or a bug: say what, on which image, and stop.
        raise TeuError(f"{what}: {type(e).__name__}: {e}" if what else
                       f"{type(e).__name__}: {e}", 125) from None


def stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def env_root(root: str | None) -> str:
    return root or os.environ.get("TEU_ROOT") or "/var/lib/teu"
