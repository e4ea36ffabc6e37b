"""What the image verbs (pull, push, images, image ..., save, load, ...) share: their
flags in docker's grammar (teu.cli._flags, as every verb), --root, the registry
flags, and turning every failure into one line and docker's exit code 1 (never a
traceback)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from teu.cli._flags import BOOL, STR, Flag, parse_or_help
from teu.errors import TeuError

FAILURE = 1  # docker's exit code for a failed image verb (pull, tag, load, rmi...)

ROOT = Flag("root", None, STR, "Store directory (default: $TEU_ROOT or /var/lib/teu)")
REGISTRY = [
    Flag("tls-verify", None, BOOL, "Require HTTPS and verify certificates (default: true, "
         "except loopback registries)"),
    Flag("authfile", None, STR, "Credentials file (default: docker's config.json)"),
    Flag("creds", None, STR, "Credentials for the registry", "USER[:PASSWORD]"),
]


def parse(argv: list[str], flags: list[Flag], prog: str, synopsis: str, description: str,
          min_args: int = 0, max_args: int | None = None) -> tuple[dict, list[str]] | None:
    """The verb's flags plus --root; None after printing --help."""
    return parse_or_help(argv, [*flags, ROOT], prog, synopsis, description, True,
                         min_args, max_args)


def tls_verify(value: bool | str | None) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
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
    """Call fn; any failure becomes a TeuError (exit 1) whose one line names `what`."""
    try:
        return fn()
    except TeuError as e:
        if getattr(e, "bare", False):
            raise  # docker's own text (a template or usage error): as it is
        msg = str(e)
        raise TeuError(msg if what in msg or not what else f"{what}: {msg}", FAILURE) from None
    except OSError as e:
        reason = e.strerror or str(e)
        if e.filename and e.strerror:
            reason = f"{e.filename}: {e.strerror}"
        named = what and what not in reason  # `load -i F`: F is what, and the file too
        raise TeuError(f"{what}: {reason}" if named else reason, FAILURE) from None
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one line, never a traceback
        # sqlite3 on a full disk ("database or disk is full"), malformed input that
        # slipped past validation, or a bug: say what, on which image, and stop.
        raise TeuError(f"{what}: {type(e).__name__}: {e}" if what else
                       f"{type(e).__name__}: {e}", FAILURE) from None


def stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def env_root(root: str | None) -> str:
    return root or os.environ.get("TEU_ROOT") or "/var/lib/teu"
