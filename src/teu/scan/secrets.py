"""What looks like a secret: in a file's name or content, an environment variable, a
build command. Shared by the layer scan (files of every layer) and the lint (ENV,
ARG, history, run flags).

Content patterns are the well-known credential shapes (private key blocks, AWS
access key IDs, GitHub/GitLab/Slack/Stripe/Google tokens); names are the files
tools write credentials to. Only small files outside the system's own trees
are read for content: a scan must stay fast on a full distribution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CONTENT = 256 << 10

CONTENT_PATTERNS: list[tuple[str, re.Pattern[bytes]]] = [
    ("private key", re.compile(rb"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----")),
    ("AWS access key ID", re.compile(rb"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("GitHub token", re.compile(rb"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b")),
    ("GitLab token", re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20}\b")),
    ("Slack token", re.compile(rb"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Stripe secret key", re.compile(rb"\b[sr]k_live_[A-Za-z0-9]{20,}")),
    ("Google API key", re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}\b")),
]

# File names (or path endings) where credentials live, whatever the content.
NAME_RULES: list[tuple[str, str]] = [
    ("id_rsa", "SSH private key"), ("id_dsa", "SSH private key"),
    ("id_ecdsa", "SSH private key"), ("id_ed25519", "SSH private key"),
    (".aws/credentials", "AWS credentials file"), (".git-credentials", "git credentials"),
    (".netrc", "netrc credentials"), (".pgpass", "PostgreSQL password file"),
    (".env", "dotenv file"),
]
# Files that hold credentials only when they have these keys (an .npmrc may just name a
# registry): read whatever their size class, judged by content.
KEYED_FILES: list[tuple[str, bytes, str]] = [
    (".npmrc", b"_auth", "npm credentials"), (".pypirc", b"password", "PyPI credentials"),
    (".docker/config.json", b'"auth', "registry credentials"),
    (".config/containers/auth.json", b'"auth', "registry credentials"),
]

# Trees whose files belong to packages: not read for content (names still count).
SYSTEM_TREES = ("usr/lib/", "usr/share/", "usr/include/", "lib/", "lib64/", "usr/lib64/",
                "var/lib/dpkg/", "var/lib/apt/", "var/cache/", "usr/libexec/", "proc/",
                "sys/", "usr/src/", "etc/ssl/certs/", "usr/local/lib/")
SKIP_PARTS = ("/node_modules/", "/site-packages/", "/dist-packages/", "/.git/objects/")

SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY",
                "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY", "CLIENT_KEY")


@dataclass
class SecretHit:
    path: str
    what: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "what": self.what}


def by_name(rel: str) -> str | None:
    base = rel.rsplit("/", 1)[-1]
    for pattern, what in NAME_RULES:
        if "/" in pattern:
            if rel == pattern or rel.endswith("/" + pattern):
                return what
        elif base == pattern:
            return what
    if base.startswith(".env.") and base not in (".env.example", ".env.sample", ".env.template"):
        return "dotenv file"
    return None


def keyed(rel: str) -> tuple[bytes, str] | None:
    for pattern, key, what in KEYED_FILES:
        if rel == pattern or rel.endswith("/" + pattern):
            return key, what
    return None


def worth_reading(rel: str, size: int) -> bool:
    if size == 0 or size > MAX_CONTENT or rel.startswith(SYSTEM_TREES):
        return False
    padded = "/" + rel
    return not any(p in padded for p in SKIP_PARTS)


def in_content(data: bytes) -> str | None:
    if b"\0" in data[:1024]:
        return None  # binaries: their constants are not credentials
    for what, pattern in CONTENT_PATTERNS:
        if pattern.search(data):
            return what
    return None


def in_text(text: str) -> str | None:
    """A credential shape inside a string (an ENV value, a RUN line)."""
    return in_content(text.encode(errors="replace"))


def secret_name(name: str) -> bool:
    """An environment variable or build argument named like a secret."""
    up = name.upper()
    if up.endswith(("_FILE", "_PATH", "_DIR", "_URL_FILE")):
        return False  # points at a secret, does not hold one
    return any(w in up for w in SECRET_WORDS)
