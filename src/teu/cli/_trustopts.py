"""What the trust verbs (key, sign, verify, attest, verify-attestation) share: docker-style
flags (teu.cli._flags), the registry and store options, -h."""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, STR, Flag
from teu.errors import TeuError

COMMON = [
    Flag("key", None, STR, "path to the key (cosign's format)", "KEY"),
    Flag("local-image", None, STR, "an OCI image layout directory instead of a registry", "DIR"),
    Flag("tls-verify", None, STR, "require HTTPS and verified certificates (default: true, "
         "except loopback)", "bool"),
    Flag("authfile", None, STR, "credentials file (default: docker's config.json)", "FILE"),
    Flag("root", None, STR, "store directory (default: $TEU_ROOT or /var/lib/teu)", "DIR"),
    Flag("allow-insecure-registry", None, BOOL, "accepted for cosign compatibility "
         "(loopback registries are always allowed plain HTTP)"),
    Flag("allow-http-registry", None, BOOL, "accepted for cosign compatibility"),
]
SIGN = [
    Flag("registry-referrers-mode", None, STR, "legacy (the sha256-<hex>.sig tag) or oci-1-1 "
         "(an OCI 1.1 referrer)", "MODE"),
    Flag("tlog-upload", None, STR, "only false: teu has no transparency log", "bool"),
    Flag("yes", "y", BOOL, "do not ask (teu never asks)"),
]
VERIFY = [
    Flag("output", "o", STR, "json (default) or text", "FORMAT"),
    Flag("insecure-ignore-tlog", None, BOOL, "accepted for cosign compatibility: teu "
         "verifies against the key, never a transparency log"),
    Flag("experimental-oci11", None, BOOL, "accepted: teu always looks at OCI 1.1 referrers "
         "when the signature tag has none"),
]


def parse_args(prog: str, synopsis: str, description: str, argv: list[str],
               flags: list[Flag]) -> tuple[dict, list[str]] | None:
    """Options and positionals (the docker-style parser every verb uses); None after
    printing --help."""
    from teu.cli._flags import parse_or_help

    return parse_or_help(argv, flags, prog, synopsis, description)


def tls_verify(opts: dict) -> bool | None:
    v = opts.get("tls_verify")
    if v is None:
        return None
    if v.lower() in ("true", "1"):
        return True
    if v.lower() in ("false", "0"):
        return False
    raise TeuError(f"--tls-verify: {v!r} is not true or false", 1)


def referrers_mode(opts: dict) -> bool:
    mode = opts.get("registry_referrers_mode") or "legacy"
    if mode not in ("legacy", "oci-1-1"):
        raise TeuError(f"--registry-referrers-mode: {mode!r} is not legacy or oci-1-1", 1)
    tlog = (opts.get("tlog_upload") or "false").lower()
    if tlog not in ("false", "0"):
        raise TeuError("--tlog-upload: teu has no transparency log; signatures are checked "
                       "against keys (use --tlog-upload=false)", 1)
    return mode == "oci-1-1"


def need_key(opts: dict, prog: str) -> str:
    key = opts.get("key")
    if not key:
        raise TeuError(f"{prog}: --key is required (teu signs and verifies with keys only)", 1)
    return key


class LazyStore:
    """The image store, opened on first use: verifying a registry image never needs it
    (teu.image.store and sqlite3 are ~20 ms of imports)."""

    def __init__(self, root: str | None) -> None:
        self._root = root
        self._store = None

    def __getattr__(self, name: str):  # noqa: ANN204
        if self._store is None:
            from teu.image.store import Store

            self._store = Store(self._root)
        return getattr(self._store, name)

    def __enter__(self) -> LazyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._store is not None:
            self._store.close()


def store(opts: dict) -> LazyStore:
    return LazyStore(opts.get("root"))


def warn(msg: str) -> None:
    print(msg, file=sys.stderr)
