"""Image references, parsed exactly as docker parses them (distribution/reference).

    reference  ::= name [ ":" tag ] [ "@" digest ]
    name       ::= [ domain "/" ] path-component ( "/" path-component )*
    domain     ::= host [ ":" port ]        host: dns labels, or [ipv6]
    path-component ::= [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        ::= [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}

Normalisation (ParseNormalizedNamed): a first component without `.` or `:`
that is not `localhost` (and is lowercase) is not a domain, so `busybox` is
`docker.io/library/busybox`, `user/app` is `docker.io/user/app`, and
`index.docker.io` is `docker.io`. With neither tag nor digest the tag is
`latest`. Error texts follow docker's ("invalid reference format...").
"""

from __future__ import annotations

import re

from teu.errors import TeuError

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_MAX = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?")
_ANCHORED_ID = re.compile(r"[a-f0-9]{64}")
_ANCHORED_TAG = re.compile(_TAG)
_ANCHORED_NAME = re.compile(_NAME)


class ReferenceError(TeuError):
    """A string is not a valid image reference; docker's wording."""

    exit_code = 125


class Reference:
    """A normalised reference: domain, path, and a tag and/or a digest; immutable.

    A plain class rather than a frozen dataclass: `dataclasses` (and the `inspect`
    it loads) cost more than the whole parse on `teu verify`'s and `teu pull`'s path."""

    __slots__ = ("domain", "path", "tag", "digest")

    def __init__(self, domain: str, path: str, tag: str | None = None,
                 digest: str | None = None) -> None:
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "digest", digest)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _key(self) -> tuple:
        return (self.domain, self.path, self.tag, self.digest)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Reference:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Reference(domain={self.domain!r}, path={self.path!r}, tag={self.tag!r}, "
                f"digest={self.digest!r})")

    def __reduce__(self) -> tuple:
        return (Reference, self._key())

    @property
    def repository(self) -> str:
        """`docker.io/library/busybox`: the fully qualified name without tag or digest."""
        return f"{self.domain}/{self.path}"

    @property
    def name(self) -> str:
        return self.repository

    def __str__(self) -> str:
        s = self.repository
        if self.tag:
            s += ":" + self.tag
        if self.digest:
            s += "@" + self.digest
        return s

    @property
    def familiar_name(self) -> str:
        """`busybox`, `user/app`, `localhost:5000/app`: how docker shows the repository."""
        if self.domain == DEFAULT_DOMAIN:
            path = self.path
            if path.startswith(OFFICIAL_PREFIX) and path.count("/") == 1:
                path = path[len(OFFICIAL_PREFIX):]
            return path
        return self.repository

    def familiar(self) -> str:
        s = self.familiar_name
        if self.tag:
            s += ":" + self.tag
        if self.digest:
            s += "@" + self.digest
        return s

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)

    def tagged_or_latest(self) -> Reference:
        """TagNameOnly: a bare name means `:latest`; a digest reference stays as it is."""
        if self.tag is None and self.digest is None:
            return Reference(self.domain, self.path, DEFAULT_TAG, None)
        return self

    @property
    def identifier(self) -> str:
        """What a registry's /manifests/<ref> takes: the digest if any, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def registry(self) -> str:
        """The host to talk to: docker.io's API lives at registry-1.docker.io."""
        return "registry-1.docker.io" if self.domain == DEFAULT_DOMAIN else self.domain


def split_domain(name: str) -> tuple[str, str]:
    """distribution's splitDockerDomain: (domain, remainder) with docker.io defaults."""
    i = name.find("/")
    first = name[:i] if i >= 0 else ""
    if i == -1 or ("." not in first and ":" not in first and first != "localhost"
                   and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, name[i + 1:]
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse(text: str, default_tag: bool = True) -> Reference:
    """ParseNormalizedNamed (+ TagNameOnly unless default_tag=False)."""
    if not isinstance(text, str) or not text:
        raise ReferenceError("invalid reference format")
    if _ANCHORED_ID.fullmatch(text):
        raise ReferenceError(f"invalid repository name ({text}), cannot specify 64-byte "
                             "hexadecimal strings")
    # ParseNormalizedNamed's order: split the domain off the whole string, then
    # check the remote name (up to the first ":") is lowercase.
    domain, remainder = split_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ReferenceError(f"invalid reference format: repository name ({remote}) "
                             "must be lowercase")
    m = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if m is None:
        raise ReferenceError("invalid reference format")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > NAME_TOTAL_MAX:
        raise ReferenceError(f"repository name must not be more than {NAME_TOTAL_MAX} "
                             "characters")
    domain, path = split_domain(name)
    if digest is not None:
        from teu.oci import digest as D
        from teu.oci.errors import ImageSpecError

        try:
            D.parse(digest, registered_only=True)
        except ImageSpecError:
            raise ReferenceError(f"invalid reference format: invalid digest {digest!r}") from None
    ref = Reference(domain, path, tag, digest)
    return ref.tagged_or_latest() if default_tag else ref


def parse_repository(text: str) -> Reference:
    """A name without tag or digest (what `teu login`, `--from` or a mount source take)."""
    ref = parse(text, default_tag=False)
    if ref.tag or ref.digest:
        raise ReferenceError(f"{text}: expected a repository name without tag or digest")
    return ref


def valid_tag(tag: str) -> bool:
    return bool(_ANCHORED_TAG.fullmatch(tag))


def looks_like_id(text: str) -> bool:
    """`sha256:<hex>` or a hex prefix of 1 to 64 digits (an image ID or its short form)."""
    if text.startswith("sha256:"):
        text = text[7:]
    return 0 < len(text) <= 64 and all(c in "0123456789abcdef" for c in text)


def normalize_registry(host: str) -> str:
    """The key a credentials file uses for a registry (`docker.io` for Docker Hub)."""
    host = host.strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/", 1)[0]
    if host in (LEGACY_DOMAIN, "registry-1.docker.io", DEFAULT_DOMAIN):
        return DEFAULT_DOMAIN
    return host
