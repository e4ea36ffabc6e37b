"""Parsing of the run/create flags added for issue 8 (pure: no container)."""

from __future__ import annotations

import pytest

from teu.cli._container_flags import to_options
from teu.cli._flags import parse
from teu.cli.run import FLAGS as RUN_FLAGS
from teu.engine.config import hostopts, mounts, options, spec
from teu.engine.errors import InvalidArgument


def settings(*argv: str) -> dict:
    opts, args = parse([*argv, "img", "true"], RUN_FLAGS, interspersed=False)
    s = options.parse(to_options(opts, args))
    return options.with_image(s, {"config": {}}, "img")


def test_namespace_modes_reach_the_spec() -> None:
    s = settings("--pid", "host", "--ipc", "container:db", "--uts", "host",
                 "--cgroupns", "private")
    host = s["HostConfig"]
    assert (host["PidMode"], host["IpcMode"], host["UTSMode"], host["CgroupnsMode"]) == \
        ("host", "container:db", "host", "private")
    built = spec.build("c" * 64, s, "/r", "/b", (0, 0, [], "/"), joins={"ipc": 42})
    kinds = {n["type"]: n.get("path") for n in built["linux"]["namespaces"]}
    assert "pid" not in kinds and "uts" not in kinds and kinds["ipc"] == "/proc/42/ns/ipc"
    assert "cgroup" in kinds and "hostname" not in built


@pytest.mark.parametrize("argv, text", [
    (["--pid", "container:"], "invalid PID mode"), (["--ipc", "bogus"], "invalid IPC mode"),
    (["--uts", "private"], "invalid UTS mode"), (["--cgroupns", "x"], "cgroup namespace"),
    (["--userns", "auto"], "not supported"), (["--shm-size", "0"], "greater than 0"),
    (["--sysctl", "kernel.hostname=x"], "not whitelisted"), (["--sysctl", "x"], "key=value"),
    (["--ipc", "host", "--sysctl", "kernel.shmmax=1"], "host IPC mode"),
    (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], "host network mode"),
    (["--device", "/dev/nosuch"], "/dev/nosuch"), (["--device", "/etc/passwd"], "not a device"),
    (["--device-cgroup-rule", "x 1:2 rwm"], "invalid device cgroup"),
    (["--device-cgroup-rule", "c 1:2 rwx"], "invalid device cgroup"),
    (["--oom-score-adj", "1001"], "range for oom score adj"),
    (["--log-driver", "syslog"], "no log driver named 'syslog'"),
    (["--log-opt", "max-size"], "key value pair"), (["--log-opt", "tag=x"], "unknown log opt"),
    (["--log-opt", "max-file=2", "--log-opt", "max-size=1m"], "max-file=1 only"),
    (["--platform", "windows/amd64"], "host's platform"), (["-a", "stdall"], "valid streams"),
    (["-a", "stdout", "-d"], "Conflicting options"), (["--detach-keys", "ctrl-1"], "Unknown"),
    (["--volumes-from", "x:rx"], "CONTAINER"), (["--blkio-weight", "5"], "10 to 1000"),
    (["--device-read-bps", "/dev/null"], "bad format"),
    (["--mount", "type=bind,target=/x"], "Source must not be empty"),
    (["--mount", "type=bind,source=/nonexistent/x,target=/x"], "does not exist"),
    (["--mount", "type=tmpfs,source=x,target=/x"], "source is not allowed"),
    (["--mount", "type=volume,target=/x,bogus=1"], "unexpected key 'bogus'"),
    (["--mount", "type=nfs,target=/x"], "mount type unknown"),
    (["--mount", "type=volume,target=relative"], "must be absolute"),
    (["--mount", "type=bind,src=/tmp,dst=/x,bind-propagation=up"], "propagation"),
    (["--hostname", "h", "--uts", "host"], "conflicting options"),
])
def test_bad_values_are_refused(argv: list[str], text: str) -> None:
    with pytest.raises(InvalidArgument, match=text):
        settings(*argv)


def test_values_in_dockers_shapes() -> None:
    s = settings("--device", "/dev/null:/dev/n:r", "--device-cgroup-rule", "c 1:* rm",
                 "--group-add", "audio", "--sysctl", "net.core.somaxconn=1024",
                 "--oom-kill-disable", "--oom-score-adj", "-5", "--memory-reservation", "1g",
                 "--log-driver", "json-file", "--log-opt", "max-size=10m", "-a", "stdout",
                 "--sig-proxy=false", "--detach-keys", "ctrl-a,x", "--shm-size", "128m")
    host, config, teu = s["HostConfig"], s["Config"], s["Teu"]
    assert host["Devices"] == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n",
                                "CgroupPermissions": "r"}]
    assert host["DeviceCgroupRules"] == ["c 1:* rm"] and host["GroupAdd"] == ["audio"]
    assert host["Sysctls"] == {"net.core.somaxconn": "1024"}
    assert (host["OomKillDisable"], host["OomScoreAdj"], host["MemoryReservation"]) == \
        (True, -5, 1 << 30)
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "10m"}}
    assert (config["AttachStdin"], config["AttachStdout"], config["AttachStderr"]) == \
        (False, True, False)
    assert teu["SigProxy"] is False and teu["DetachKeys"] == "ctrl-a,x"
    built = spec.build("c" * 64, s, "/r", "/b", (0, 0, [], "/"))
    res = built["linux"]["resources"]
    assert {"allow": True, "type": "c", "major": 1, "access": "rm"} in res["devices"]
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"} in res["devices"]
    assert res["memory"] == {"reservation": 1 << 30, "disableOOMKiller": True}
    assert built["process"]["oomScoreAdj"] == -5
    assert built["linux"]["sysctl"] == {"net.core.somaxconn": "1024"}
    assert built["linux"]["devices"][0]["path"] == "/dev/n"
    shm = next(m for m in built["mounts"] if m["destination"] == "/dev/shm")
    assert f"size={128 << 20}" in shm["options"]


def test_detach_keys_and_mount_shapes() -> None:
    assert hostopts.detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"
    assert hostopts.detach_keys("a,ctrl-@,ctrl-_") == b"a\x00\x1f"
    assert mounts.parse("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700") == {
        "Type": "tmpfs", "Source": "", "Target": "/t", "ReadOnly": False,
        "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o700}}
    assert mounts.parse("type=bind,src=/tmp,target=/x/,ro,bind-propagation=rshared") == {
        "Type": "bind", "Source": "/tmp", "Target": "/x", "ReadOnly": True,
        "BindOptions": {"Propagation": "rshared"}}
    assert mounts.parse("target=/v,volume-nocopy")["VolumeOptions"] == {"NoCopy": True}


def test_escape_filter_holds_a_prefix_back() -> None:
    from teu.engine.monitor.detach import EscapeFilter

    f = EscapeFilter(b"\x10\x11")
    assert f.feed(b"ab\x10") == (b"ab", False)
    assert f.feed(b"c") == (b"\x10c", False)
    assert f.feed(b"x\x10\x11rest") == (b"x", True)
    assert EscapeFilter(b"\x10\x11").feed(b"\x10\x10\x11") == (b"\x10", True)
