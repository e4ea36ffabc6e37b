"""The prunes' label filters (teu.labelfilter): docker's label / label! rules."""

from __future__ import annotations

import pytest

from teu.errors import InvalidArgument
from teu.labelfilter import matches, parse


def test_label_and_negated_label() -> None:
    labels = {"a": "1", "b": ""}
    assert matches(labels, parse(["label=a"]))
    assert matches(labels, parse(["label=a=1", "label=b"]))
    assert not matches(labels, parse(["label=a=2"]))
    assert not matches(labels, parse(["label=a", "label=c"]))
    assert matches(labels, parse({"label!": ["c"]}))
    assert not matches(labels, parse({"label!": ["a=1"]}))
    assert matches({}, parse([]))


def test_other_keys_refused_unless_allowed() -> None:
    with pytest.raises(InvalidArgument, match="invalid filter 'until'"):
        parse({"until": ["1h"]})
    assert parse({"all": ["true"], "label": ["x"]}, ("all",)) == {"all": ["true"],
                                                                   "label": ["x"]}
