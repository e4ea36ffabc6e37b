"""The distribution spec's grammar for repository names, tags and references."""

from __future__ import annotations

import re

# <name>: path components of [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by "/".
# The grammar already forbids "..", "." and empty components, so a valid name
# can never climb out of the storage root.
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
# distribution limits the whole name to 255 characters; so does teu.
MAX_NAME = 255


def valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME and NAME.fullmatch(name) is not None


def valid_tag(tag: str) -> bool:
    return TAG.fullmatch(tag) is not None


def is_digest_reference(reference: str) -> bool:
    """A manifest reference is a digest when it has a colon (tags cannot)."""
    return ":" in reference
