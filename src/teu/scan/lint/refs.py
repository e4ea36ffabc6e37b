"""What a lint says about an image reference: `latest`, untagged, or pinned."""

from __future__ import annotations


def tag_problem(ref: str) -> str | None:
    """"TEU102" for a `latest` tag, "TEU103" for no tag and no digest, None otherwise
    (a digest pins whatever the tag says; `scratch` and variables cannot be judged)."""
    ref = ref.strip()
    if not ref or ref == "scratch" or "$" in ref or "@" in ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return "TEU103"
    return "TEU102" if last.rsplit(":", 1)[1] == "latest" else None


def is_root_user(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0")
