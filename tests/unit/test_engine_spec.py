"""Flags -> settings -> OCI spec (teu.engine.config.options, spec, seccomp), without a kernel."""

from __future__ import annotations

import pytest

from teu.engine.config import options, seccomp, spec
from teu.engine.errors import InvalidArgument
from teu.oci import runtime_config

IMAGE_CONFIG = {"architecture": "amd64", "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": []},
                "config": {"Env": ["PATH=/bin", "FROM_IMAGE=1"], "Cmd": ["sh"],
                           "WorkingDir": "/app", "User": "nobody", "Labels": {"img": "1"},
                           "StopSignal": "SIGQUIT", "Volumes": {"/data": {}},
                           "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5}}}


def settings(**opts) -> dict:
    s = options.parse({"image": "img", **opts})
    return options.with_image(s, IMAGE_CONFIG, "img")


def build(s: dict, cid: str = "c" * 64) -> dict:
    return spec.build(cid, s, "/rootfs", "/bundle", (0, 0, [], "/root"))


def test_image_config_merges_like_docker_create() -> None:
    s = settings(env=["FROM_IMAGE=2", "MINE=x"], label=["mine=1"])
    c = s["Config"]
    assert c["Env"] == ["PATH=/bin", "FROM_IMAGE=2", "MINE=x"]
    assert c["Cmd"] == ["sh"] and c["Entrypoint"] is None
    assert c["WorkingDir"] == "/app" and c["User"] == "nobody"
    assert c["Labels"] == {"img": "1", "mine": "1"}
    assert c["StopSignal"] == "SIGQUIT" and c["Healthcheck"]["Test"][0] == "CMD-SHELL"
    s = settings(entrypoint="echo", command=None)
    assert s["Config"]["Entrypoint"] == ["echo"] and s["Config"]["Cmd"] is None
    s = settings(entrypoint="", command=["ls"])
    assert s["Config"]["Entrypoint"] == [] and s["Config"]["Cmd"] == ["ls"]
    s = settings(no_healthcheck=True)
    assert s["Config"]["Healthcheck"] == {"Test": ["NONE"]}
    s = settings(health_interval="2s")
    assert s["Config"]["Healthcheck"]["Interval"] == 2_000_000_000
    assert s["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]


def test_default_spec_is_hardened_and_valid() -> None:
    config = build(settings())
    runtime_config.validate(config)
    p = config["process"]
    assert p["capabilities"]["bounding"] == spec.DEFAULT_CAPS
    assert "inheritable" not in p["capabilities"] and "ambient" not in p["capabilities"]
    assert p["noNewPrivileges"] is False
    assert p["args"] == ["sh"] and p["cwd"] == "/app"
    assert "HOME=/root" in p["env"] and f"HOSTNAME={'c' * 12}" in p["env"]
    linux = config["linux"]
    assert linux["maskedPaths"] == spec.MASKED_PATHS
    assert linux["readonlyPaths"] == spec.READONLY_PATHS
    assert linux["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert linux["resources"]["devices"] == [{"allow": False, "access": "rwm"}]
    assert {n["type"] for n in linux["namespaces"]} == {"pid", "ipc", "uts", "mount",
                                                        "network"}
    assert linux["cgroupsPath"] == "/teu/" + "c" * 64
    assert config["root"] == {"path": "/rootfs", "readonly": False}
    dests = [m["destination"] for m in config["mounts"]]
    assert dests[:7] == ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue",
                         "/dev/shm"]
    assert {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} <= set(dests)


def test_flags_reach_the_spec() -> None:
    s = settings(memory="64m", memory_swap="-1", cpus="0.5", cpu_shares="256",
                 cpuset_cpus="0", pids_limit="10", ulimit=["nofile=5:6"], cap_add=["SYS_ADMIN"],
                 cap_drop=["NET_RAW"], security_opt=["no-new-privileges"], read_only=True,
                 tmpfs=["/run:size=1m"], hostname="h", user="0", init=True, network="host")
    config = build(s)
    runtime_config.validate(config)
    r = config["linux"]["resources"]
    assert r["memory"] == {"limit": 64 << 20, "swap": -1}
    assert r["cpu"] == {"period": 100000, "quota": 50000, "shares": 256, "cpus": "0"}
    assert r["pids"] == {"limit": 10}
    p = config["process"]
    assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "soft": 5, "hard": 6}]
    assert "CAP_SYS_ADMIN" in p["capabilities"]["bounding"]
    assert "CAP_NET_RAW" not in p["capabilities"]["bounding"]
    assert p["noNewPrivileges"] is True
    assert p["args"][:2] == [spec.INIT_PATH, "--"]
    assert config["root"]["readonly"] is True and config["hostname"] == "h"
    assert "network" not in {n["type"] for n in config["linux"]["namespaces"]}
    tmpfs = [m for m in config["mounts"] if m["destination"] == "/run"][0]
    assert tmpfs["type"] == "tmpfs" and "size=1m" in tmpfs["options"]
    # the profile follows the capabilities: bpf is allowed only with CAP_SYS_ADMIN
    allowed = {n for rule in config["linux"]["seccomp"]["syscalls"]
               if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}
    assert "bpf" in allowed
    assert "bpf" not in {n for rule in build(settings())["linux"]["seccomp"]["syscalls"]
                           if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}


def test_memory_swap_default_and_privileged() -> None:
    assert build(settings(memory="64m"))["linux"]["resources"]["memory"] == \
        {"limit": 64 << 20, "swap": 128 << 20}
    config = build(settings(privileged=True))
    assert "seccomp" not in config["linux"] and "maskedPaths" not in config["linux"]
    assert config["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert len(config["process"]["capabilities"]["bounding"]) == len(
        runtime_config.CAPABILITIES)
    unconfined = build(settings(security_opt=["seccomp=unconfined"]))
    assert "seccomp" not in unconfined["linux"]
    drop_all = build(settings(cap_drop=["ALL"], cap_add=["CHOWN"]))
    assert drop_all["process"]["capabilities"]["bounding"] == ["CAP_CHOWN"]


def test_seccomp_conversion() -> None:
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
               "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                            "subArchitectures": ["SCMP_ARCH_X86"]}],
               "syscalls": [
                   {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["arm_only"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"arches": ["arm64"]}},
                   {"names": ["admin"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"caps": ["CAP_SYS_ADMIN"]}},
                   {"names": ["not_admin"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                    "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
               ]}
    out = seccomp.to_oci(profile, [], machine="x86_64")
    assert out["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    assert [r["names"] for r in out["syscalls"]] == [["read"], ["not_admin"]]
    assert out["syscalls"][1]["errnoRet"] == 1
    out = seccomp.to_oci(profile, ["CAP_SYS_ADMIN"], machine="aarch64")
    assert [r["names"] for r in out["syscalls"]] == [["read"], ["arm_only"], ["admin"]]
    oci = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}
    assert seccomp.to_oci(oci, []) is oci  # already in the spec's shape


@pytest.mark.parametrize("opts, text", [
    ({"memory": "12q"}, "invalid size"), ({"cpus": "-1"}, "range of CPUs"),
    ({"volume": ["a:b:c:d"]}, "invalid volume"),
    ({"volume": ["/tmp:/y:bogus"]}, "unknown option"), ({"volume": ["/tmp:/"]}, "'/'"),
    ({"name": "x"}, "Invalid container name"), ({"security_opt": ["seccomp"]}, "seccomp"),
    ({"secret": ["target=x"]}, "src=FILE"), ({"restart": "always", "rm": True}, "conflicting"),
    ({"network": ["host", "mynet"]}, "conflicting"), ({"publish": ["80/xyz"]}, "proto"),
    ({"memory_swap": "1g", "memory": "2g"}, "larger"),
])
def test_invalid_options(opts: dict, text: str) -> None:
    with pytest.raises(InvalidArgument, match=text):
        options.parse({"image": "img", **opts})


def test_secrets_and_env_files(tmp_path) -> None:
    f = tmp_path / "s"
    f.write_text("x")
    s = options.parse({"image": "i", "secret": [f"src={f},target=tok,mode=0440,uid=5"]})
    assert s["Teu"]["Secrets"] == [{"Source": str(f), "Target": "/run/secrets/tok",
                                    "Mode": 0o440, "UID": 5}]
    assert "Secrets" not in s["HostConfig"] and "tok" not in str(s["Config"])
    envf = tmp_path / "env"
    envf.write_text("A=1\n# c\n\nB=2\n")
    assert options.env_list(["C=3"], [str(envf)]) == ["A=1", "B=2", "C=3"]
