"""`teu inspect` has every HostConfig and Config key docker 20.10 shows, with docker's
zero values. The lists below are docker 20.10's (Engine API 1.41: moby's
api/types/container HostConfig, Resources and Config), as `docker inspect` printed them
for `docker create --network none busybox true` on Debian's dockerd 20.10 here."""

from __future__ import annotations

from teu.engine.config import options
from teu.engine.views.inspect import config_of, host_config

DOCKER_HOST_CONFIG = {
    "Binds": None, "ContainerIDFile": "", "NetworkMode": "none", "PortBindings": {},
    "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": False,
    "VolumeDriver": "", "VolumesFrom": None, "CapAdd": None, "CapDrop": None,
    "CgroupnsMode": "host", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": None,
    "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None, "OomScoreAdj": 0,
    "PidMode": "", "Privileged": False, "PublishAllPorts": False, "ReadonlyRootfs": False,
    "SecurityOpt": None, "UTSMode": "", "UsernsMode": "", "ShmSize": 67108864,
    "ConsoleSize": [0, 0], "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
    "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": None,
    "BlkioDeviceWriteBps": None, "BlkioDeviceReadIOps": None, "BlkioDeviceWriteIOps": None,
    "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
    "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": None,
    "DeviceRequests": None, "KernelMemory": 0, "KernelMemoryTCP": 0, "MemoryReservation": 0,
    "MemorySwap": 0, "MemorySwappiness": None, "OomKillDisable": False, "PidsLimit": None,
    "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
}
# Keys whose value differs by daemon or engine, not by default: which runtime, the log
# driver (docker json-file, teu k8s-file as podman), the daemon's default ulimits, the
# masked paths list.
DOCKER_HOST_CONFIG_VARIES = ("Runtime", "LogConfig", "Ulimits", "MaskedPaths",
                             "ReadonlyPaths")
# Keys docker's HostConfig omits unless set (`json:",omitempty"` in API 1.41).
DOCKER_HOST_CONFIG_OPTIONAL = ("Mounts", "Init", "Tmpfs", "Sysctls", "StorageOpt")
DOCKER_CONFIG = {
    "Hostname": "21c4293bf765", "Domainname": "", "User": "", "AttachStdin": False,
    "AttachStdout": True, "AttachStderr": True, "Tty": False, "OpenStdin": False,
    "StdinOnce": False, "Env": None, "Cmd": ["true"], "Image": "busybox", "Volumes": None,
    "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": {},
}
DOCKER_CONFIG_OPTIONAL = ("ExposedPorts", "Healthcheck", "ArgsEscaped", "NetworkDisabled",
                          "MacAddress", "StopSignal", "StopTimeout", "Shell")


def settings(**opts: object) -> dict:
    s = options.parse({"image": "busybox", "command": ["true"], **opts})
    return options.with_image(s, {"config": {}}, "busybox")


def test_host_config_has_every_docker_key_with_docker_zero_values() -> None:
    out = host_config(settings()["HostConfig"])
    expected = set(DOCKER_HOST_CONFIG) | set(DOCKER_HOST_CONFIG_VARIES)
    assert set(out) - set(DOCKER_HOST_CONFIG_OPTIONAL) == expected
    for key, zero in DOCKER_HOST_CONFIG.items():
        assert out[key] == zero, key
    assert out["LogConfig"] == {"Type": "k8s-file", "Config": {}}
    assert out["MaskedPaths"] and out["ReadonlyPaths"]


def test_host_config_keys_stay_docker_keys_when_flags_are_set() -> None:
    out = host_config(settings(tmpfs=["/t"], init=True, volume=["/tmp:/x"],
                               privileged=True)["HostConfig"])
    allowed = set(DOCKER_HOST_CONFIG) | set(DOCKER_HOST_CONFIG_VARIES) \
        | set(DOCKER_HOST_CONFIG_OPTIONAL)
    assert set(out) <= allowed, set(out) - allowed
    assert out["Binds"] == ["/tmp:/x"] and out["Tmpfs"] == {"/t": ""} and out["Init"] is True
    assert out["MaskedPaths"] is None  # docker: none under --privileged


def test_config_has_every_docker_key() -> None:
    out = config_of(settings()["Config"])
    assert set(DOCKER_CONFIG) <= set(out)
    assert set(out) <= set(DOCKER_CONFIG) | set(DOCKER_CONFIG_OPTIONAL)
    for key in ("Domainname", "User", "Volumes", "WorkingDir", "Entrypoint", "OnBuild"):
        assert out[key] == DOCKER_CONFIG[key], key
