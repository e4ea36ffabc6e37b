"""One registry (Registry) and one repository on it (Repository): the spec's endpoints.

    GET  /v2/                                  ping; learn the scheme and the auth challenge
    GET  /v2/<name>/manifests/<ref>            manifest or index (Accept: all known types)
    HEAD /v2/<name>/blobs/<digest>             exists?
    GET  /v2/<name>/blobs/<digest>  Range:     blob from an offset (resume)
    POST /v2/<name>/blobs/uploads/?mount=&from=   cross-repository mount
    POST /v2/<name>/blobs/uploads/             start an upload; then PUT (monolithic) or
    PATCH ... PUT ?digest=                     chunked
    PUT  /v2/<name>/manifests/<ref>            the manifest, last
"""

from __future__ import annotations

from urllib.parse import quote

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.errors import DigestMismatchError
from teu.registry.client import errors as E
from teu.registry.client.auth import Authenticator
from teu.registry.client.transport import Origin, Pool, Response, is_loopback, send

TYPE_CHECKING = False  # typing's import is not paid at run time
if TYPE_CHECKING:
    from typing import IO

MANIFEST_ACCEPT = ", ".join([MT.OCI_INDEX, MT.OCI_MANIFEST, MT.DOCKER_MANIFEST_LIST,
                             MT.DOCKER_MANIFEST])
MAX_MANIFEST = 4 * 1024 * 1024


class Registry:
    def __init__(self, host: str, tls_verify: bool | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        self.host = host
        # Plain HTTP only where asked, or on loopback (docker's insecure default).
        self.insecure = tls_verify is False or (tls_verify is None and is_loopback(host))
        self.pool = Pool()
        self.auth = Authenticator(self.pool, credentials)
        self.origin: Origin | None = None

    def repository(self, path: str) -> Repository:
        return Repository(self, path)

    def ping(self) -> None:
        """Find the scheme that works and the auth challenge (GET /v2/)."""
        candidates = [Origin("https", self.host, verify=not self.insecure)]
        if self.insecure:
            candidates.append(Origin("http", self.host))
        last: Exception | None = None
        for origin in candidates:
            try:
                resp = send(self.pool, origin, "GET", "/v2/", {})
            except E.Unreachable as e:
                last = e
                continue
            with resp:
                resp.read()
                if resp.status == 401:
                    self.auth.challenge(resp.header_all("WWW-Authenticate"))
                elif resp.status not in (200,):
                    if resp.status == 404:
                        raise E.RegistryError(f"{origin.base}/v2/: not a registry (HTTP 404)", 404)
                    raise E.RegistryError(f"{origin.base}/v2/: HTTP {resp.status}", resp.status)
            self.origin = origin
            return
        raise E.Unreachable(f"registry {self.host} is unreachable: {last}") from None

    def check_login(self) -> None:
        """Raise AuthError unless the stored credentials are accepted (teu login)."""
        if self.origin is None:
            self.ping()
        if self.auth.kind is None:
            return
        if self.auth.kind == "bearer":
            self.auth.token([], force=True)
            return
        resp = self.request("GET", "/v2/", [], ok=(200, 401))
        with resp:
            resp.read()
            if resp.status == 401:
                raise E.AuthError("unauthorized: incorrect username or password", 401)

    def request(self, method: str, target: str, scopes: list[str],
                headers: dict[str, str] | None = None, body=None,
                ok: tuple[int, ...] = (200,), what: str = "") -> Response:
        """A request with auth; a status not in `ok` raises the registry's error."""
        if self.origin is None:
            self.ping()
        assert self.origin is not None
        for attempt in (0, 1):
            hdrs = dict(headers or {})
            auth = self.auth.header(scopes)
            if auth:
                hdrs["Authorization"] = auth
            resp = send(self.pool, self.origin, method, target, hdrs, body)
            if resp.status == 401 and 401 not in ok and attempt == 0 and (
                    body is None or isinstance(body, bytes)):
                challenges = resp.header_all("WWW-Authenticate")
                resp.read()
                resp.close()
                was = self.auth.kind
                self.auth.challenge(challenges)
                extra = self.auth.challenge_scope(challenges)
                if self.auth.kind == "bearer":
                    self.auth.token(scopes + extra, force=True)
                    continue
                if self.auth.kind == "basic" and was != "basic" and self.auth.credentials:
                    continue
                raise self._refused(what or target)
            if resp.status in ok:
                return resp
            body_bytes = resp.read(65536) if method != "HEAD" else b""
            resp.close()
            if resp.status == 401:
                raise self._refused(what or target)
            raise E.from_response(resp.status, body_bytes, what or f"{method} {target}")
        raise self._refused(what or target)

    def _refused(self, what: str) -> E.AuthError:
        if self.auth.credentials:
            return E.AuthError(f"{what}: unauthorized: incorrect username or password", 401)
        return E.AuthError(f"{what}: authentication required (teu login {self.host})", 401)


class Repository:
    def __init__(self, registry: Registry, path: str) -> None:
        self.registry = registry
        self.path = path
        self.pull_scope = [f"repository:{path}:pull"]
        self.push_scope = [f"repository:{path}:pull,push"]

    def _url(self, kind: str, ref: str) -> str:
        return f"/v2/{self.path}/{kind}/{quote(ref, safe=':@')}"

    # -- manifests -----------------------------------------------------------

    def get_manifest(self, ref: str, what: str = "") -> tuple[bytes, str | None, D.Digest]:
        """(bytes, media type, digest); the digest is checked against `ref` if it is one,
        and against the registry's Docker-Content-Digest header if it sent one."""
        what = what or f"{self.path}:{ref}"
        try:
            resp = self.registry.request("GET", self._url("manifests", ref), self.pull_scope,
                                         {"Accept": MANIFEST_ACCEPT}, what=what)
        except E.NotFound as e:
            raise E.NotFound(f"manifest for {what} not found: {str(e).split(': ', 1)[-1]}",
                             404, e.codes) from None
        with resp:
            data = resp.read(MAX_MANIFEST + 1)
            if len(data) > MAX_MANIFEST:
                raise E.RegistryError(f"{what}: manifest larger than {MAX_MANIFEST} bytes")
            length = resp.header("Content-Length")
            if length is not None and length.isdigit() and int(length) != len(data):
                raise E.RegistryError(f"{what}: manifest truncated ({len(data)} of {length} bytes)")
        media_type = (resp.header("Content-Type") or "").split(";")[0].strip() or None
        actual = D.compute(data)
        if D.is_valid(ref):
            if actual != ref:
                raise DigestMismatchError(ref, actual, f"{what}: manifest")
        header = resp.header("Docker-Content-Digest")
        if header and D.is_valid(header, registered_only=True) and header != actual:
            raise DigestMismatchError(header, actual, f"{what}: manifest")
        return data, media_type, actual

    def head_manifest(self, ref: str) -> D.Digest | None:
        try:
            resp = self.registry.request("HEAD", self._url("manifests", ref), self.pull_scope,
                                         {"Accept": MANIFEST_ACCEPT}, ok=(200, 404))
        except E.NotFound:
            return None
        with resp:
            if resp.status == 404:
                return None
            dg = resp.header("Docker-Content-Digest")
        return D.Digest(dg) if dg and D.is_valid(dg) else None

    def put_manifest(self, ref: str, data: bytes, media_type: str) -> D.Digest:
        resp = self.registry.request("PUT", self._url("manifests", ref), self.push_scope,
                                     {"Content-Type": media_type}, data, ok=(200, 201, 202),
                                     what=f"{self.path}:{ref}: manifest")
        with resp:
            resp.read()
            dg = resp.header("Docker-Content-Digest")
        actual = D.compute(data)
        if dg and dg != actual:
            raise DigestMismatchError(actual, dg, f"{self.path}:{ref}: registry's manifest digest")
        return actual

    def tags(self) -> list[str]:
        import json

        resp = self.registry.request("GET", f"/v2/{self.path}/tags/list", self.pull_scope,
                                     what=f"{self.path}: tags")
        with resp:
            doc = json.loads(resp.read())
        return list(doc.get("tags") or [])

    # -- blobs ---------------------------------------------------------------

    def open_blob(self, digest: str, offset: int = 0) -> tuple[Response, int]:
        """The blob's bytes from `offset` if the registry honours the range, else from 0."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self.registry.request("GET", self._url("blobs", digest), self.pull_scope,
                                     headers, ok=(200, 206, 416),
                                     what=f"{self.path}: blob {digest}")
        if resp.status == 206:
            cr = resp.header("Content-Range") or ""
            start = cr.split(" ", 1)[-1].split("-", 1)[0]
            if start.isdigit() and int(start) == offset:
                return resp, offset
            resp.close()
            return self.open_blob(digest, 0)
        if resp.status == 416:
            resp.close()
            return self.open_blob(digest, 0)
        return resp, 0

    def blob_exists(self, digest: str) -> bool:
        resp = self.registry.request("HEAD", self._url("blobs", digest), self.push_scope,
                                     ok=(200, 404), what=f"{self.path}: blob {digest}")
        with resp:
            return resp.status == 200

    def mount_blob(self, digest: str, source_repo: str) -> str | None:
        """Cross-repository mount; None if mounted, else the upload URL the registry
        opened instead (it may not have the blob there, or may refuse mounts)."""
        scopes = self.push_scope + [f"repository:{source_repo}:pull"]
        target = (f"/v2/{self.path}/blobs/uploads/?mount={quote(digest, safe=':')}"
                  f"&from={quote(source_repo, safe='/')}")
        resp = self.registry.request("POST", target, scopes, {"Content-Length": "0"}, b"",
                                     ok=(201, 202), what=f"{self.path}: mount {digest}")
        with resp:
            resp.read()
            if resp.status == 201:
                return None
            return self._location(resp)

    def start_upload(self) -> str:
        resp = self.registry.request("POST", f"/v2/{self.path}/blobs/uploads/", self.push_scope,
                                     {"Content-Length": "0"}, b"", ok=(202,),
                                     what=f"{self.path}: start upload")
        with resp:
            resp.read()
            return self._location(resp)

    def _location(self, resp: Response) -> str:
        loc = resp.header("Location")
        if not loc:
            raise E.RegistryError(f"{self.path}: upload answer without a Location")
        return loc

    def upload_monolithic(self, location: str, digest: str, size: int,
                          body: IO[bytes] | bytes) -> None:
        sep = "&" if "?" in location else "?"
        resp = self.registry.request(
            "PUT", f"{location}{sep}digest={quote(digest, safe=':')}", self.push_scope,
            {"Content-Type": "application/octet-stream", "Content-Length": str(size)}, body,
            ok=(201, 204), what=f"{self.path}: upload {digest}")
        with resp:
            resp.read()

    def upload_chunked(self, location: str, digest: str, stream: IO[bytes], chunk_size: int,
                       progress=None) -> None:
        offset = 0
        while True:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            resp = self.registry.request(
                "PATCH", location, self.push_scope,
                {"Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
                 "Content-Range": f"{offset}-{offset + len(chunk) - 1}"}, chunk,
                ok=(202,), what=f"{self.path}: upload {digest} at {offset}")
            with resp:
                resp.read()
                location = self._location(resp)
            offset += len(chunk)
            if progress is not None:
                progress(offset)
        sep = "&" if "?" in location else "?"
        resp = self.registry.request(
            "PUT", f"{location}{sep}digest={quote(digest, safe=':')}", self.push_scope,
            {"Content-Length": "0"}, b"", ok=(201, 204), what=f"{self.path}: finish {digest}")
        with resp:
            resp.read()
