"""Pure logic of the registry server: grammar, ranges, htpasswd, scopes, tokens, config."""

import time

import pytest

from teu.errors import TeuError
from teu.registry.server import names
from teu.registry.server.access import Access, Rule, covers, granted, parse_scope
from teu.registry.server.config import load
from teu.registry.server.htpasswd import Htpasswd, bcrypt_entry
from teu.registry.server.ranges import RangeNotSatisfiable, parse_chunk_range, parse_range
from teu.registry.server.token import TokenError, TokenSigner


@pytest.mark.parametrize("name", ["a", "library/busybox", "a.b/c_d/e__f/g-h--i", "x" * 255])
def test_valid_names(name):
    assert names.valid_name(name)


@pytest.mark.parametrize("name", ["", "A", "a/", "/a", "a//b", "..", "a/../b", "a/./b", "_a",
                                  "a_", "a/_layers", "a..b", "x" * 256, "a b", "a:b"])
def test_invalid_names(name):
    assert not names.valid_name(name)


def test_tags():
    assert names.valid_tag("latest") and names.valid_tag("_x") and names.valid_tag("a" * 128)
    for bad in ("", ".x", "-x", "a" * 129, "a/b", "a:b"):
        assert not names.valid_tag(bad)


@pytest.mark.parametrize("header,expect", [
    (None, None), ("bytes=0-9", (0, 9)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)),
    ("bytes=90-200", (90, 99)), ("items=0-1", None), ("bytes=0-1,5-6", None),
    ("bytes=9-1", None), ("garbage", None),
])
def test_parse_range(header, expect):
    assert parse_range(header, 100) == expect


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_parse_range_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_chunk_range():
    assert parse_chunk_range("0-99") == (0, 99)
    assert parse_chunk_range("bytes 10-19/*") == (10, 19)
    for bad in ("", "a-b", "5-1", "-1"):
        with pytest.raises(ValueError):
            parse_chunk_range(bad)


def test_htpasswd_bcrypt_and_sha(tmp_path):
    f = tmp_path / "htpasswd"
    f.write_text(bcrypt_entry("alice", "s3cret", rounds=4) + "\n"
                 "bob:{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=\n# comment\n")
    h = Htpasswd.load(str(f))
    assert h.verify("alice", "s3cret") and h.verify("alice", "s3cret")
    assert not h.verify("alice", "nope") and not h.verify("carol", "x")
    assert h.verify("bob", "123456")
    assert h.entries["alice"].startswith("$2y$")


def test_htpasswd_refuses_weak_entries():
    with pytest.raises(TeuError, match="unsupported hash"):
        Htpasswd.parse("u:$apr1$abc$def")
    with pytest.raises(TeuError, match="user:hash"):
        Htpasswd.parse("nocolon")


def test_scopes_and_rules():
    assert parse_scope("repository:a/b:pull,push") == [
        Access("repository", "a/b", "pull"), Access("repository", "a/b", "push")]
    assert parse_scope("repository:host:5000/a:pull") == [Access("repository", "host:5000/a", "pull")]
    assert parse_scope("bad") == []
    rules = [Rule("alice", "team/*", frozenset({"pull", "push"})),
             Rule("", "public/*", frozenset({"pull"})),
             Rule("*", "*", frozenset({"pull"})),
             Rule("admin", "*", frozenset({"*"}))]
    want = [Access("repository", "team/x", "push"), Access("repository", "public/y", "pull"),
            Access("repository", "other", "pull"), Access("registry", "catalog", "*")]
    assert granted(rules, None, want) == [want[1]]
    assert granted(rules, "alice", want) == want[:3]
    assert granted(rules, "admin", want) == want
    assert covers([{"type": "repository", "name": "a", "actions": ["pull"]}],
                  Access("repository", "a", "pull"))
    assert not covers([{"type": "repository", "name": "a", "actions": ["pull"]}],
                      Access("repository", "a", "push"))


def test_tokens(tmp_path):
    key = TokenSigner.load_or_create_key(str(tmp_path / "k"))
    assert TokenSigner.load_or_create_key(str(tmp_path / "k")) == key
    s = TokenSigner(key, "iss", "svc", ttl=60)
    token, _, _ = s.issue("alice", [{"type": "repository", "name": "a", "actions": ["pull"]}])
    claims = s.verify(token)
    assert claims["sub"] == "alice" and claims["access"][0]["name"] == "a"
    with pytest.raises(TokenError):
        s.verify(token[:-2] + "xx")
    with pytest.raises(TokenError):
        TokenSigner(key, "iss", "other").verify(token)
    with pytest.raises(TokenError):
        TokenSigner(b"k" * 32, "iss", "svc").verify(token)
    expired = TokenSigner(key, "iss", "svc", ttl=-20)
    old, _, _ = expired.issue("a", [])
    with pytest.raises(TokenError, match="expired"):
        s.verify(old)
    with pytest.raises(TokenError):
        s.verify("not.a.token")
    assert time.time()


def test_config_file(tmp_path):
    (tmp_path / "c.toml").write_text("""
[storage]
root = "/srv/reg"
delete = true
upload_expiry = 60
[http]
addr = "0.0.0.0:6000"
[auth]
htpasswd = "users"
[auth.token]
service = "svc"
[[auth.token.access]]
account = "alice"
repository = "a/*"
actions = ["pull", "push"]
""")
    c = load(str(tmp_path / "c.toml"))
    assert c.root == "/srv/reg" and c.delete and c.upload_expiry == 60.0
    assert c.host_port() == ("0.0.0.0", 6000)
    assert c.htpasswd == str(tmp_path / "users")
    assert c.token.service == "svc" and c.token.rules[0].actions == {"pull", "push"}
    (tmp_path / "bad.toml").write_text("[storage]\ndelete = 'yes'\n")
    with pytest.raises(TeuError, match="storage.delete"):
        load(str(tmp_path / "bad.toml"))
    (tmp_path / "broken.toml").write_text("[storage\n")
    with pytest.raises(TeuError):
        load(str(tmp_path / "broken.toml"))
