"""teu.network.listing: docker's `network ls` filters, shared by the CLI and the API."""

from __future__ import annotations

import pytest

from teu.errors import InvalidArgument
from teu.network.config import Network
from teu.network.listing import check, matches, parse, predefined


def _net(name: str, **kw: object) -> Network:
    return Network(name, "ab12" + name.encode().hex().ljust(60, "0"), **kw)


def test_each_key_any_of_its_values_all_keys() -> None:
    web = _net("web", driver="bridge", labels={"tier": "front"})
    lan = _net("lan", driver="macvlan")
    f = parse(["driver=bridge", "driver=macvlan", "name=e"])
    assert f == {"driver": ["bridge", "macvlan"], "name": ["e"]}
    assert matches(web, f) and not matches(lan, f)  # name=e: a substring, as docker
    assert matches(web, {"label": ["tier"]}) and matches(web, {"label": ["tier=front"]})
    assert not matches(web, {"label": ["tier=back"]})
    assert matches(web, {"id": ["ab12"]}) and matches(web, {"scope": ["local"]})
    assert matches(_net("ov", driver="overlay"), {"scope": ["global"]})


def test_builtin_custom_and_dangling() -> None:
    none, web = predefined("none"), _net("web")
    assert none.driver == "null" and predefined("host").driver == "host"
    assert matches(none, {"type": ["builtin"]}) and not matches(web, {"type": ["builtin"]})
    assert matches(web, {"type": ["custom"]})
    assert matches(web, {"dangling": ["true"]}, lambda n: False)
    assert not matches(web, {"dangling": ["true"]}, lambda n: True)
    with pytest.raises(InvalidArgument):
        matches(web, {"type": ["other"]})


def test_unknown_filters_refused() -> None:
    with pytest.raises(InvalidArgument, match="invalid filter 'bogus'"):
        check({"bogus": ["1"]})
