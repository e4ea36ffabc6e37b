"""containers-policy.json(5): the trust policy podman, buildah and skopeo read.

    {"default": [REQUIREMENT...],
     "transports": {"docker": {SCOPE: [REQUIREMENT...], ...}, OTHER: {...}}}

    REQUIREMENT  {"type": "insecureAcceptAnything"} | {"type": "reject"}
                 {"type": "sigstoreSigned", "keyPath"|"keyPaths"|"keyData"|"keyDatas": ...,
                  "signedIdentity": IDENTITY}
                 {"type": "signedBy", ...}  (GPG: parsed, but an image it governs is refused)
    IDENTITY     matchExact | matchRepoDigestOrExact (the default) | matchRepository |
                 exactReference {dockerReference} | exactRepository {dockerRepository} |
                 remapIdentity {prefix, signedPrefix}

Scopes of the docker transport, most specific first (containers/image's order): the
reference with its tag or digest, the repository, each parent namespace, the host,
`*.parent.domain` wildcards, then "" (the transport's default), then `default`.
Every requirement of the chosen list must be satisfied.

Found at --signature-policy FILE, $TEU_POLICY, /etc/teu/policy.json, then
/etc/containers/policy.json; with none of them, everything is accepted (docker's
behaviour). A malformed file is an error naming file:line. This module is on the
`teu run` path: no json, re, typing or dataclasses imports (teu.fastjson parses).
"""

from __future__ import annotations

import os

from teu.trust.errors import PolicyError

SEARCH = ("/etc/teu/policy.json", "/etc/containers/policy.json")
ENV = "TEU_POLICY"
SIMPLE = ("insecureAcceptAnything", "reject")
KEY_FIELDS = ("keyPath", "keyPaths", "keyData", "keyDatas")
SIGSTORE_FIELDS = {"type", "signedIdentity", "fulcio", "rekorPublicKeyPath",
                   "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas",
                   "pki", *KEY_FIELDS}
IDENTITIES = {"matchExact": (), "matchRepoDigestOrExact": (), "matchRepository": (),
              "exactReference": ("dockerReference",),
              "exactRepository": ("dockerRepository",),
              "remapIdentity": ("prefix", "signedPrefix")}


class Requirement:
    __slots__ = ("type", "keys", "identity", "line")

    def __init__(self, type: str, keys: list[tuple[str, str]] | None = None,
                 identity: dict | None = None, line: int = 0) -> None:
        self.type = type
        self.keys = keys or []          # [(kind "path"|"data", value)]
        self.identity = identity or {"type": "matchRepoDigestOrExact"}
        self.line = line


class Policy:
    __slots__ = ("path", "default", "transports")

    def __init__(self, path: str, default: list[Requirement],
                 transports: dict[str, dict[str, list[Requirement]]]) -> None:
        self.path = path
        self.default = default
        self.transports = transports

    def for_docker(self, domain: str, path: str, tag: str | None = None,
                   digest: str | None = None) -> tuple[str, list[Requirement]]:
        """(the scope that matched, its requirements) for a docker reference."""
        scopes = self.transports.get("docker") or {}
        for scope in docker_scopes(domain, path, tag, digest):
            if scope in scopes:
                return scope, scopes[scope]
        if "" in scopes:
            return 'transports.docker ""', scopes[""]
        return "default", self.default


def docker_scopes(domain: str, path: str, tag: str | None, digest: str | None) -> list[str]:
    repo = f"{domain}/{path}"
    out = []
    if digest:
        out.append(f"{repo}@{digest}")
    elif tag:
        out.append(f"{repo}:{tag}")
    parts = repo.split("/")
    for i in range(len(parts), 0, -1):
        out.append("/".join(parts[:i]))
    host = domain.split(":", 1)[0]
    labels = host.split(".")
    for i in range(1, len(labels)):
        out.append("*." + ".".join(labels[i:]))
    return out


def find(explicit: str | None = None) -> str | None:
    """The policy file in force, or None (no policy: accept everything)."""
    path = explicit or os.environ.get(ENV)
    if path:
        if not os.path.exists(path):
            raise PolicyError(f"{path}: no such policy file")
        return path
    for p in SEARCH:
        if os.path.exists(p):
            return p
    return None


def load(path: str) -> Policy:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PolicyError(f"{path}: {e.strerror or e}") from None
    return parse(data, path)


def _line(text: str, *needles: str) -> int:
    """The line of the first of `needles` in the file (1-based), or 0."""
    best = -1
    for n in needles:
        i = text.find(n)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return text.count("\n", 0, best) + 1 if best >= 0 else 0


def parse(data: bytes, path: str = "policy.json") -> Policy:
    from teu import fastjson

    text = data.decode("utf-8", "replace")
    try:
        doc = fastjson.loads(data)
    except ValueError:
        import json

        try:
            json.loads(text)
            raise PolicyError(f"{path}: not valid JSON")
        except json.JSONDecodeError as e:
            raise PolicyError(f"{path}:{e.lineno}: invalid JSON: {e.msg} "
                              f"(column {e.colno})") from None

    def fail(msg: str, *needles: str) -> PolicyError:
        line = _line(text, *needles) if needles else 0
        return PolicyError(f"{path}:{line}: {msg}" if line else f"{path}: {msg}")

    if not isinstance(doc, dict):
        raise fail("the policy must be a JSON object")
    for k in doc:
        if k not in ("default", "transports"):
            raise fail(f"unknown field {k!r} (expected default, transports)", f'"{k}"')
    if "default" not in doc:
        raise fail('"default" is required (e.g. [{"type": "reject"}])')
    default = _requirements(doc["default"], "default", text, fail)
    transports: dict[str, dict[str, list[Requirement]]] = {}
    raw_t = doc.get("transports") or {}
    if not isinstance(raw_t, dict):
        raise fail('"transports" must be an object', '"transports"')
    for tname, scopes in raw_t.items():
        if not isinstance(scopes, dict):
            raise fail(f"transport {tname!r}: scopes must be an object", f'"{tname}"')
        out: dict[str, list[Requirement]] = {}
        for scope, reqs in scopes.items():
            if tname == "docker":
                _check_docker_scope(scope, fail)
            out[scope] = _requirements(reqs, f"{tname} scope {scope!r}", text, fail, scope)
        transports[tname] = out
    return Policy(path, default, transports)


def _check_docker_scope(scope: str, fail) -> None:  # noqa: ANN001
    if scope == "":
        return
    if "://" in scope or scope != scope.strip() or scope.endswith("/") or \
            (scope.startswith("*") and not scope.startswith("*.")):
        raise fail(f"docker scope {scope!r} is not a registry, repository or "
                   "*.domain wildcard", f'"{scope}"')
    first = scope.split("/", 1)[0]
    if "/" not in scope and "." not in first and ":" not in first and \
            first != "localhost" and not first.startswith("*."):
        raise fail(f"docker scope {scope!r} must name a registry host (docker.io/{scope}?)",
                   f'"{scope}"')


def _requirements(value, where: str, text: str, fail,  # noqa: ANN001
                  anchor: str | None = None) -> list[Requirement]:
    near = f'"{anchor}"' if anchor else f'"{where}"'
    if not isinstance(value, list) or not value:
        raise fail(f"{where}: requirements must be a non-empty list", near)
    out = []
    for req in value:
        if not isinstance(req, dict) or not isinstance(req.get("type"), str):
            raise fail(f"{where}: a requirement must be an object with a \"type\"", near)
        t = req["type"]
        line = _line(text, f'"{t}"')
        if t in SIMPLE:
            extra = [k for k in req if k != "type"]
            if extra:
                raise fail(f"{where}: {t} takes no fields (found {extra[0]!r})", f'"{extra[0]}"')
            out.append(Requirement(t, line=line))
        elif t == "signedBy":
            if "keyType" not in req or not any(k in req for k in ("keyPath", "keyPaths",
                                                                 "keyData")):
                raise fail(f"{where}: signedBy needs keyType and keyPath/keyPaths/keyData",
                           '"signedBy"')
            out.append(Requirement(t, line=line))
        elif t == "sigstoreSigned":
            out.append(_sigstore(req, where, fail, line))
        else:
            raise fail(f"{where}: unknown requirement type {t!r} (expected "
                       "insecureAcceptAnything, reject, signedBy, sigstoreSigned)", f'"{t}"')
    return out


def _sigstore(req: dict, where: str, fail, line: int) -> Requirement:  # noqa: ANN001
    for k in req:
        if k not in SIGSTORE_FIELDS:
            raise fail(f"{where}: sigstoreSigned: unknown field {k!r}", f'"{k}"')
    given = [k for k in KEY_FIELDS if k in req]
    if "fulcio" in req or "pki" in req:
        raise fail(f"{where}: sigstoreSigned with fulcio/pki (keyless) is not supported by "
                   "teu; use keyPath or keyData", '"fulcio"', '"pki"')
    if len(given) != 1:
        raise fail(f"{where}: sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, "
                   f"keyDatas (found {len(given)})", '"sigstoreSigned"')
    field = given[0]
    v = req[field]
    values = v if field.endswith("s") else [v]
    if not isinstance(values, list) or not values or not all(
            isinstance(x, str) and x for x in values):
        raise fail(f"{where}: sigstoreSigned {field} must be "
                   f"{'a non-empty list of strings' if field.endswith('s') else 'a string'}",
                   f'"{field}"')
    kind = "path" if field.startswith("keyPath") else "data"
    keys = [(kind, x) for x in values]
    ident = req.get("signedIdentity") or {"type": "matchRepoDigestOrExact"}
    if not isinstance(ident, dict) or ident.get("type") not in IDENTITIES:
        raise fail(f"{where}: signedIdentity type {ident.get('type') if isinstance(ident, dict) else ident!r} "
                   f"is not one of {', '.join(IDENTITIES)}", '"signedIdentity"')
    needed = IDENTITIES[ident["type"]]
    for k in ident:
        if k != "type" and k not in needed:
            raise fail(f"{where}: signedIdentity {ident['type']}: unknown field {k!r}", f'"{k}"')
    for k in needed:
        if not isinstance(ident.get(k), str) or not ident[k]:
            raise fail(f"{where}: signedIdentity {ident['type']} needs {k}", '"signedIdentity"')
    return Requirement("sigstoreSigned", keys, dict(ident), line)
