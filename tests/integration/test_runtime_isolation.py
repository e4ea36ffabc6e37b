"""What a container sees: namespaces, root filesystem, devices, identity, capabilities, limits."""

import os
import subprocess

import pytest


def run_in(runtime, bundle, script, check=True):
    bundle.config["process"]["args"] = ["sh", "-c", script]
    bundle.save()
    p = runtime("run", "-b", str(bundle.path), runtime.new_id())
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_pid_namespace_makes_the_program_pid_1(runtime, make_bundle):
    assert run_in(runtime, make_bundle(), "echo $$").stdout.strip() == "1"


def test_new_namespaces_differ_from_the_host(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    out = run_in(runtime, b, "for n in pid net ipc uts mnt cgroup; do "
                 "readlink /proc/self/ns/$n; done").stdout.split()
    host = [os.readlink(f"/proc/self/ns/{n}") for n in ("pid", "net", "ipc", "uts", "mnt",
                                                         "cgroup")]
    for mine, theirs in zip(out, host, strict=True):
        assert mine != theirs


def test_joining_a_namespace_by_path(runtime, make_bundle):
    name = f"teu-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "add", "teu0", "type",
                        "veth", "peer", "name", "teu1"], check=True)
        b = make_bundle()
        for ns in b.config["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = f"/run/netns/{name}"
        out = run_in(runtime, b, "cat /proc/net/dev").stdout
        assert "teu0" in out
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def test_user_namespace_maps_ids(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # The rootfs must belong to the mapped root, and the path to it be searchable by
    # it (pytest's temporary directories are 0700).
    subprocess.run(["chown", "-R", "100000:100000", str(b.rootfs)], check=True)
    for parent in b.rootfs.parents:
        if str(parent) == "/tmp":
            break
        parent.chmod(0o755)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
    out = run_in(runtime, b, "cat /proc/self/uid_map; id -u").stdout.split()
    assert out[:3] == ["0", "100000", "65536"]
    assert out[3] == "0"


def test_hostname_and_domainname(runtime, make_bundle):
    b = make_bundle()
    b.config["hostname"] = "box"
    b.config["domainname"] = "example.test"
    out = run_in(runtime, b, "hostname; cat /proc/sys/kernel/domainname").stdout.split()
    assert out == ["box", "example.test"]


def test_root_is_pivoted_and_readonly(runtime, make_bundle):
    b = make_bundle()
    p = run_in(runtime, b, "ls /; touch /x", check=False)
    assert "linuxrc" in p.stdout and p.returncode != 0 and "Read-only" in p.stderr
    b.config["root"]["readonly"] = False
    run_in(runtime, b, "touch /x")
    assert (b.rootfs / "x").exists()


def test_mounts_bind_tmpfs_and_options(runtime, make_bundle, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in").write_text("from host")
    b = make_bundle()
    b.config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(shared), "options": ["rbind", "rw"]},
        {"destination": "/ro", "type": "bind", "source": str(shared), "options": ["bind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "size=1m", "mode=1777"]},
    ]
    out = run_in(runtime, b, "cat /data/in; echo out > /data/out; "
                 "(echo x > /ro/y) 2>/dev/null || echo ro-refused; "
                 "grep ' /scratch ' /proc/mounts; stat -c %a /scratch").stdout
    assert "from host" in out and "ro-refused" in out
    assert "tmpfs" in out and "size=1024k" in out and "nosuid" in out
    assert out.strip().endswith("1777")
    assert (shared / "out").read_text() == "out\n"


def test_bind_mount_of_a_file(runtime, make_bundle, tmp_path):
    f = tmp_path / "secret.txt"
    f.write_text("s3cret")
    b = make_bundle()
    b.config["mounts"].append({"destination": "/etc/secret", "type": "bind", "source": str(f),
                               "options": ["bind", "ro"]})
    assert run_in(runtime, b, "cat /etc/secret").stdout == "s3cret"


def test_mount_destination_symlink_cannot_escape(runtime, make_bundle, tmp_path):
    b = make_bundle()
    os.symlink("/../../../../tmp", b.rootfs / "escape")
    target = tmp_path / "should-stay-empty"
    b.config["mounts"].append({"destination": "/escape/teu-mnt", "type": "tmpfs",
                               "source": "tmpfs"})
    run_in(runtime, b, "grep -q ' /tmp/teu-mnt ' /proc/mounts")
    assert not target.exists()
    assert (b.rootfs / "tmp" / "teu-mnt").is_dir()


def test_devices_masked_and_readonly_paths(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10,
                                     "minor": 229, "fileMode": 0o600, "uid": 0, "gid": 0}]
    out = run_in(runtime, b, "ls -l /dev/null /dev/zero /dev/fuse /dev/ptmx /dev/fd; "
                 "echo x > /dev/null && echo null-ok; cat /proc/kcore | wc -c; "
                 "(echo 1 > /proc/sys/kernel/domainname) 2>&1; true").stdout
    assert "null-ok" in out
    assert "crw-------" in out  # /dev/fuse with fileMode 0600
    assert "/dev/ptmx -> pts/ptmx" in out
    assert "\n0\n" in out  # /proc/kcore masked
    assert "Read-only" in out


def test_capabilities_and_no_new_privileges(runtime, make_bundle):
    b = make_bundle()
    out = run_in(runtime, b, "grep -E 'Cap(Eff|Bnd|Amb)|NoNewPrivs' /proc/self/status").stdout
    fields = dict(line.split(":\t") for line in out.strip().splitlines())
    want = (1 << 5) | (1 << 10) | (1 << 29)  # KILL, NET_BIND_SERVICE, AUDIT_WRITE
    assert int(fields["CapEff"], 16) == want
    assert int(fields["CapBnd"], 16) == want
    # Ambient needs the inheritable set too (capabilities(7)); runc's default spec has none.
    assert int(fields["CapAmb"], 16) == 0
    assert fields["NoNewPrivs"].strip() == "1"
    b.config["process"]["capabilities"]["inheritable"] = ["CAP_KILL"]
    b.config["process"]["noNewPrivileges"] = False
    out = run_in(runtime, b, "grep CapAmb /proc/self/status").stdout
    assert int(out.split()[1], 16) == 1 << 5
    b.config["process"]["capabilities"] = {k: ["CAP_CHOWN"] for k in
                                           ("bounding", "effective", "permitted")}
    b.config["process"]["noNewPrivileges"] = False
    out = run_in(runtime, b, "grep -E 'CapEff|NoNewPrivs' /proc/self/status").stdout
    assert "CapEff:\t0000000000000001" in out and "NoNewPrivs:\t0" in out


def test_user_groups_umask_and_cwd(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10],
                                   "umask": 0o077}
    b.config["process"]["cwd"] = "/home/user/work"
    b.config["root"]["readonly"] = False
    (b.rootfs / "home" / "user" / "work").mkdir()
    os.chown(b.rootfs / "home" / "user" / "work", 1000, 1000)
    out = run_in(runtime, b, "id; pwd; touch f; stat -c %a f").stdout.split("\n")
    assert out[0] == "uid=1000(user) gid=1000(user) groups=10(wheel)"
    assert out[1] == "/home/user/work" and out[2] == "600"


def test_rlimits_and_oom_score(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
                                      {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    b.config["process"]["oomScoreAdj"] = 500
    out = run_in(runtime, b, "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj").stdout
    assert out.split() == ["123", "456", "500"]


def test_sysctl_and_env(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    b.config["process"]["env"].append("GREETING=hi there")
    out = run_in(runtime, b, "cat /proc/sys/net/ipv4/ip_forward; echo $GREETING").stdout
    assert out.split("\n")[:2] == ["1", "hi there"]


def test_cgroup_mount_shows_the_containers_own_cgroup(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["resources"] = {"memory": {"limit": 64 * 1024 * 1024},
                                      "pids": {"limit": 50}}
    out = run_in(runtime, b, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                 "/sys/fs/cgroup/pids/pids.max").stdout.split()
    assert out == [str(64 * 1024 * 1024), "50"]


def test_cgroup_limits_are_enforced(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["resources"] = {"pids": {"limit": 5}}
    p = run_in(runtime, b, "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait", check=False)
    assert "can't fork" in p.stderr or "Resource temporarily unavailable" in p.stderr


def test_no_pivot_uses_chroot(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "ls /"])
    p = runtime("run", "--no-pivot", "-b", str(b.path), runtime.new_id())
    assert p.returncode == 0 and "linuxrc" in p.stdout


@pytest.mark.parametrize("prop", ["rprivate", "rslave", "rshared"])
def test_rootfs_propagation(runtime, make_bundle, prop):
    b = make_bundle()
    b.config["linux"]["rootfsPropagation"] = prop
    root_line = run_in(runtime, b, "awk '$5 == \"/\"' /proc/self/mountinfo").stdout
    assert root_line
    # rslave only shows "master:" when the host's / is shared; this VM's is private.
    assert ("shared:" in root_line) == (prop == "rshared")
