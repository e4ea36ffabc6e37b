"""Image references parse exactly as docker's distribution/reference does."""

from __future__ import annotations

import pytest

from teu.image import reference as R

H = "a" * 64
DG = f"sha256:{H}"


@pytest.mark.parametrize("text, full, familiar", [
    ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1"),
    ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("user/app", "docker.io/user/app:latest", "user/app:latest"),
    ("user/app/sub:v", "docker.io/user/app/sub:v", "user/app/sub:v"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app:v1"),
    ("127.0.0.1:5000/ns/app:v1", "127.0.0.1:5000/ns/app:v1", "127.0.0.1:5000/ns/app:v1"),
    ("example.com/a/b/c:tag", "example.com/a/b/c:tag", "example.com/a/b/c:tag"),
    ("[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"),
    (f"busybox@{DG}", f"docker.io/library/busybox@{DG}", f"busybox@{DG}"),
    (f"busybox:1@{DG}", f"docker.io/library/busybox:1@{DG}", f"busybox:1@{DG}"),
    ("foo_bar/baz", "docker.io/foo_bar/baz:latest", "foo_bar/baz:latest"),
    ("foo__bar/a-----b.c", "docker.io/foo__bar/a-----b.c:latest", "foo__bar/a-----b.c:latest"),
    ("FOO/bar", "FOO/bar:latest", "FOO/bar:latest"),  # an uppercase first part is a domain
    ("Example.com/bar", "Example.com/bar:latest", "Example.com/bar:latest"),
    ("busybox:Tag_1.0-x", "docker.io/library/busybox:Tag_1.0-x", "busybox:Tag_1.0-x"),
])
def test_valid(text, full, familiar):
    ref = R.parse(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


@pytest.mark.parametrize("text, message", [
    ("", "invalid reference format"),
    ("Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"),
    ("user/App:1", "invalid reference format: repository name (user/App) must be lowercase"),
    ("busybox:", "invalid reference format"),
    (":tag", "invalid reference format"),
    ("busybox@sha256:abc", "invalid reference format"),
    ("a/-b", "invalid reference format"),
    ("-foo", "invalid reference format"),
    ("foo bar", "invalid reference format"),
    ("foo:bar:baz", "invalid reference format"),
    ("foo___bar", "invalid reference format"),
    ("foo/", "invalid reference format"),
    ("busybox:" + "a" * 129, "invalid reference format"),
    (H, f"invalid repository name ({H}), cannot specify 64-byte hexadecimal strings"),
    ("a" * 256, "repository name must not be more than 255 characters"),
    (f"busybox@sha256:{'A' * 64}", "invalid reference format: invalid digest"),
])
def test_invalid(text, message):
    with pytest.raises(R.ReferenceError) as e:
        R.parse(text)
    assert str(e.value).startswith(message)


def test_parts_and_defaults():
    ref = R.parse("busybox", default_tag=False)
    assert ref.tag is None and ref.digest is None
    assert ref.identifier == "latest"
    assert ref.registry == "registry-1.docker.io"
    assert R.parse("localhost:5000/x").registry == "localhost:5000"
    d = R.parse(f"busybox@{DG}")
    assert d.tag is None and d.identifier == DG
    assert R.parse("a.b/c:t").repository == "a.b/c"


def test_helpers():
    assert R.looks_like_id("abc123") and R.looks_like_id("sha256:" + H)
    assert not R.looks_like_id("busybox") and not R.looks_like_id("")
    assert R.normalize_registry("https://index.docker.io/v1/") == "docker.io"
    assert R.normalize_registry("http://localhost:5000/v2/") == "localhost:5000"
    assert R.valid_tag("v1.0_x") and not R.valid_tag("-v")
    with pytest.raises(R.ReferenceError):
        R.parse_repository("busybox:1")
