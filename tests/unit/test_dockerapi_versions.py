"""The Engine API's version prefix and negotiation bounds (dockerd's messages)."""

from teu.dockerapi import versions


def test_split_path() -> None:
    assert versions.split_path("/v1.41/containers/json") == ("1.41", "/containers/json")
    assert versions.split_path("/v1.024/_ping") == ("1.24", "/_ping")
    assert versions.split_path("/containers/json") == (None, "/containers/json")
    assert versions.split_path("/v2/foo") == (None, "/v2/foo")


def test_check_bounds() -> None:
    assert versions.check(None) is None
    assert versions.check("1.24") is None
    assert versions.check("1.47") is None
    assert "too new. Maximum supported API version is 1.47" in versions.check("1.48")
    assert "too old. Minimum supported API version is 1.24" in versions.check("1.12")
    assert versions.as_tuple("1.9") < versions.as_tuple("1.24")
