import hashlib
import io

import pytest

from teu.oci import digest as D
from teu.oci.errors import DigestMismatchError, ImageSpecError

HELLO = "sha256:" + hashlib.sha256(b"hello").hexdigest()


def test_parse_valid_and_parts():
    d = D.parse(HELLO)
    assert d.algorithm == "sha256"
    assert d.encoded == hashlib.sha256(b"hello").hexdigest()
    assert D.parse("sha512:" + "a" * 128).algorithm == "sha512"


@pytest.mark.parametrize("bad", [
    "", "sha256", "sha256:", ":abc", "sha256:" + "A" * 64, "sha256:" + "a" * 63,
    "sha512:" + "a" * 64, "SHA256:" + "a" * 64, "sha256:abc/def", 42, None,
])
def test_parse_invalid(bad):
    with pytest.raises(ImageSpecError, match="digest"):
        D.parse(bad)


def test_unregistered_algorithm_grammar_only():
    assert D.parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
    with pytest.raises(ImageSpecError, match="unsupported"):
        D.parse("foo:bar", registered_only=True)


def test_error_names_field():
    with pytest.raises(ImageSpecError, match=r"layers\[0\]\.digest"):
        D.parse("nope", "layers[0].digest")


def test_compute_and_hasher():
    assert D.compute(b"hello") == HELLO
    h = D.Hasher()
    h.update(b"hel")
    h.update(b"lo")
    assert h.digest() == HELLO and h.size == 5
    assert D.from_file(io.BytesIO(b"hello")) == HELLO
    assert D.compute(b"x", "sha512").startswith("sha512:")


def test_verifying_reader_ok():
    r = D.VerifyingReader(io.BytesIO(b"hello"), HELLO, size=5)
    assert r.read(2) + r.read() == b"hello"
    r.close()


def test_verifying_reader_mismatch_on_eof():
    r = D.VerifyingReader(io.BytesIO(b"hellx"), HELLO)
    with pytest.raises(DigestMismatchError):
        while r.read(2):
            pass


def test_verifying_reader_close_drains():
    r = D.VerifyingReader(io.BytesIO(b"hellx"), HELLO)
    r.read(1)
    with pytest.raises(DigestMismatchError):
        r.close()


def test_verifying_reader_size_mismatch():
    with pytest.raises(ImageSpecError, match="longer"):
        D.VerifyingReader(io.BytesIO(b"hello!"), HELLO, size=5).read()


def test_verifier():
    v = D.parse(HELLO).verifier()
    v.update(b"hello")
    assert v.verified()
    v.check()
