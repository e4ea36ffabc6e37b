"""docker-py keywords -> the engine's options (teu.api.runargs): pure translation."""

from __future__ import annotations

import pytest

from teu.api.runargs import KEYWORDS, split_command, to_options
from teu.cli._container_flags import CREATE_FLAGS
from teu.engine.config.options import OPTION_NAMES
from teu.errors import InvalidArgument


def test_string_commands_split_like_a_shell() -> None:
    assert split_command("sh -c 'echo a  b'") == ["sh", "-c", "echo a  b"]
    assert split_command(["echo", 1]) == ["echo", "1"]
    assert to_options({"command": "echo hi", "entrypoint": "/bin/sh -c"}) == {
        "command": ["echo", "hi"], "entrypoint": ["/bin/sh", "-c"]}


def test_dict_and_list_forms() -> None:
    opts = to_options({
        "environment": {"A": "1", "B": None}, "labels": ["k"],
        "volumes": {"/h": {"bind": "/c", "mode": "ro"}, "named": {"bind": "/n"}},
        "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}],
        "healthcheck": {"test": ["CMD", "true"], "interval": 2_000_000_000, "retries": 2},
        "tmpfs": {"/run": "size=1m"}, "nano_cpus": 500_000_000, "mem_limit": 64 << 20,
    })
    assert opts["env"] == ["A=1", "B"] and opts["label"] == ["k="]
    assert opts["volume"] == ["/h:/c:ro", "named:/n"]
    assert opts["restart"] == "on-failure:3" and opts["ulimit"] == ["nofile=10:20"]
    assert opts["health_cmd"] == ["true"] and opts["health_interval"] == "2000000000ns"
    assert opts["health_retries"] == 2 and opts["tmpfs"] == ["/run:size=1m"]
    assert opts["cpus"] == "0.5" and opts["memory"] == 64 << 20
    assert to_options({"restart_policy": {"Name": "always"}})["restart"] == "always"
    assert to_options({"healthcheck": {"test": ["NONE"]}}) == {"no_healthcheck": True}


def test_unknown_keywords_are_type_errors() -> None:
    with pytest.raises(TypeError, match="'memroy'"):
        to_options({"memroy": "64m"}, "run")
    with pytest.raises(TypeError, match="unexpected keyword arguments 'a', 'b'"):
        to_options({"a": 1, "b": 2})


def test_known_but_unsupported_keywords_say_why() -> None:
    with pytest.raises(InvalidArgument, match="links"):
        to_options({"links": {"db": "db"}})
    assert to_options({"links": None, "version": "1.41"}) == {}  # unset ones are fine


def test_every_cli_flag_is_an_engine_option() -> None:
    # The engine's list of option names must follow `teu run`'s flags (teu.api refuses
    # any name not in it, so a flag missing there would be unusable from Python).
    flags = {f.name.replace("-", "_") for f in CREATE_FLAGS} - {"net", "quiet"}
    assert flags <= OPTION_NAMES, sorted(flags - OPTION_NAMES)


def test_keywords_reach_engine_options_or_say_not_yet() -> None:
    # Each docker-py keyword maps onto option names; those the engine does not read yet
    # give a clear error instead of being dropped.
    for key, convert in KEYWORDS.items():
        sample = {"detach": True, "network_disabled": True}.get(key, "x")
        try:
            made = convert(sample)
        except Exception:  # noqa: BLE001 - a converter that needs another shape
            continue
        for name in made:
            if name not in OPTION_NAMES:
                with pytest.raises(InvalidArgument, match="not supported by this teu yet"):
                    to_options({key: sample})
