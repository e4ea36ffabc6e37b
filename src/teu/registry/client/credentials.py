"""Registry credentials in docker's config.json and containers' auth.json (same format).

    {"auths": {"localhost:5000": {"auth": base64("user:password")}}}

Docker Hub's key is "https://index.docker.io/v1/" (docker's), "docker.io" (podman's).
Where teu looks, in order: --authfile; $REGISTRY_AUTH_FILE; podman's
$XDG_RUNTIME_DIR/containers/auth.json and ~/.config/containers/auth.json;
docker's $DOCKER_CONFIG/config.json or ~/.docker/config.json. `teu login`
writes to --authfile, else $REGISTRY_AUTH_FILE, else docker's config.json,
keeping every other key of the file as it was. Credential helpers
(credsStore/credHelpers) are not run: teu says so instead of failing silently.
"""

from __future__ import annotations

import base64
import json
import os

from teu.errors import TeuError
from teu.image.reference import normalize_registry

DOCKER_HUB_KEY = "https://index.docker.io/v1/"


def docker_config_path() -> str:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def search_paths(authfile: str | None = None) -> list[str]:
    paths = []
    if authfile:
        return [authfile]
    if os.environ.get("REGISTRY_AUTH_FILE"):
        paths.append(os.environ["REGISTRY_AUTH_FILE"])
    if os.environ.get("XDG_RUNTIME_DIR"):
        paths.append(os.path.join(os.environ["XDG_RUNTIME_DIR"], "containers", "auth.json"))
    paths.append(os.path.join(os.path.expanduser("~"), ".config", "containers", "auth.json"))
    paths.append(docker_config_path())
    return paths


def write_path(authfile: str | None = None) -> str:
    return authfile or os.environ.get("REGISTRY_AUTH_FILE") or docker_config_path()


def _keys(registry: str) -> list[str]:
    reg = normalize_registry(registry)
    if reg == "docker.io":
        return [DOCKER_HUB_KEY, "docker.io", "index.docker.io", "registry-1.docker.io"]
    return [reg, f"https://{reg}", f"http://{reg}", f"https://{reg}/v1/", f"https://{reg}/v2/"]


def _load(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise TeuError(f"{path}: {e.strerror}", 125) from None
    if not data.strip():
        return {}
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise TeuError(f"{path}: invalid JSON: {e}", 125) from None
    if not isinstance(doc, dict):
        raise TeuError(f"{path}: not a JSON object", 125)
    return doc


def lookup(registry: str, authfile: str | None = None) -> tuple[str, str] | None:
    """(username, password) for `registry`, or None for anonymous access."""
    for path in search_paths(authfile):
        doc = _load(path)
        auths = doc.get("auths") or {}
        for key in _keys(registry):
            entry = auths.get(key)
            if not isinstance(entry, dict):
                continue
            if entry.get("auth"):
                try:
                    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
                except (ValueError, UnicodeDecodeError):
                    raise TeuError(f"{path}: bad auth entry for {key}", 125) from None
                return user, password
            if entry.get("username") and entry.get("password"):
                return entry["username"], entry["password"]
            if entry.get("identitytoken"):
                return "<token>", entry["identitytoken"]
    return None


def store(registry: str, username: str, password: str, authfile: str | None = None) -> str:
    """Save credentials; returns the file written (mode 0600, replaced atomically)."""
    path = write_path(authfile)
    doc = _load(path)
    auths = doc.setdefault("auths", {})
    key = _keys(registry)[0]
    for other in _keys(registry)[1:]:
        auths.pop(other, None)
    auths[key] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    _save(path, doc)
    return path


def remove(registry: str, authfile: str | None = None) -> list[str]:
    """Forget credentials for `registry` in every file teu reads; returns files changed."""
    changed = []
    paths = [authfile] if authfile else search_paths()
    for path in paths:
        doc = _load(path)
        auths = doc.get("auths") or {}
        hit = [k for k in _keys(registry) if k in auths]
        if not hit:
            continue
        for k in hit:
            del auths[k]
        _save(path, doc)
        changed.append(path)
    return changed


def _save(path: str, doc: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent="\t")
        f.write("\n")
    os.rename(tmp, path)
