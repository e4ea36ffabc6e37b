"""The flags `teu run` and `teu create` share (docker's names and short forms)."""

from __future__ import annotations

from teu.cli._flags import BOOL, LIST, STR, Flag

CREATE_FLAGS = [
    Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached"),
    Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
    Flag("rm", None, BOOL, "Automatically remove the container when it exits"),
    Flag("name", None, STR, "Assign a name to the container"),
    Flag("env", "e", LIST, "Set environment variables"),
    Flag("env-file", None, LIST, "Read in a file of environment variables"),
    Flag("workdir", "w", STR, "Working directory inside the container"),
    Flag("user", "u", STR, "Username or UID (format: <name|uid>[:<group|gid>])"),
    Flag("entrypoint", None, STR, "Overwrite the default ENTRYPOINT of the image"),
    Flag("volume", "v", LIST, "Bind mount a volume"),
    Flag("tmpfs", None, LIST, "Mount a tmpfs directory"),
    Flag("read-only", None, BOOL, "Mount the container's root filesystem as read only"),
    Flag("memory", "m", STR, "Memory limit", "bytes"),
    Flag("memory-swap", None, STR, "Swap limit equal to memory plus swap: '-1' to enable "
         "unlimited swap", "bytes"),
    Flag("cpus", None, STR, "Number of CPUs", "decimal"),
    Flag("cpu-shares", "c", STR, "CPU shares (relative weight)", "int"),
    Flag("cpuset-cpus", None, STR, "CPUs in which to allow execution (0-3, 0,1)"),
    Flag("pids-limit", None, STR, "Tune container pids limit (set -1 for unlimited)", "int"),
    Flag("ulimit", None, LIST, "Ulimit options", "ulimit"),
    Flag("cap-add", None, LIST, "Add Linux capabilities"),
    Flag("cap-drop", None, LIST, "Drop Linux capabilities"),
    Flag("security-opt", None, LIST, "Security Options"),
    Flag("privileged", None, BOOL, "Give extended privileges to this container"),
    Flag("hostname", "h", STR, "Container host name"),
    Flag("init", None, BOOL, "Run an init inside the container that forwards signals and "
         "reaps processes"),
    Flag("restart", None, STR, "Restart policy to apply when a container exits"),
    Flag("health-cmd", None, STR, "Command to run to check health"),
    Flag("health-interval", None, STR, "Time between running the check (ms|s|m|h)",
         "duration"),
    Flag("health-retries", None, STR, "Consecutive failures needed to report unhealthy",
         "int"),
    Flag("health-timeout", None, STR, "Maximum time to allow one check to run (ms|s|m|h)",
         "duration"),
    Flag("health-start-period", None, STR, "Start period for the container to initialize "
         "before starting health-retries countdown (ms|s|m|h)", "duration"),
    Flag("health-start-interval", None, STR, "Time between running the check during the "
         "start period (ms|s|m|h)", "duration"),
    Flag("no-healthcheck", None, BOOL, "Disable any container-specified HEALTHCHECK"),
    Flag("stop-signal", None, STR, "Signal to stop the container"),
    Flag("stop-timeout", None, STR, "Timeout (in seconds) to stop a container", "int"),
    Flag("label", "l", LIST, "Set meta data on a container"),
    Flag("network", None, LIST, "Connect a container to a network (bridge, none, host, "
         "container:NAME|ID, a network's name; repeatable)"),
    Flag("net", None, LIST, "Alias of --network"),
    Flag("ip", None, STR, "IPv4 address (e.g., 172.30.100.104)"),
    Flag("ip6", None, STR, "IPv6 address (e.g., 2001:db8::33)"),
    Flag("mac-address", None, STR, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    Flag("network-alias", None, LIST, "Add network-scoped alias for the container"),
    Flag("add-host", None, LIST, "Add a custom host-to-IP mapping (host:ip, host:host-gateway)"),
    Flag("ingress-bandwidth", None, STR, "Limit traffic to the container (bits/s: 10M, 1G)"),
    Flag("egress-bandwidth", None, STR, "Limit traffic from the container (bits/s: 10M, 1G)"),
    Flag("dns", None, LIST, "Set custom DNS servers"),
    Flag("dns-search", None, LIST, "Set custom DNS search domains"),
    Flag("dns-option", None, LIST, "Set DNS options"),
    Flag("publish", "p", LIST, "Publish a container's port(s) to the host"),
    Flag("publish-all", "P", BOOL, "Publish all exposed ports to random ports"),
    Flag("expose", None, LIST, "Expose a port or a range of ports"),
    Flag("runtime", None, STR, "Runtime to use for this container (teu-runtime, runc, crun)"),
    Flag("secret", None, LIST, "Secret file to expose at /run/secrets (src=FILE,target=NAME)"),
    Flag("pull", None, STR, 'Pull image before running ("always", "missing", "never")'),
    Flag("quiet", "q", BOOL, "Suppress the pull output"),
    Flag("mount", None, LIST, "Attach a filesystem mount to the container "
         "(type=bind|volume|tmpfs,source=...,target=...)", "mount"),
    Flag("pid", None, STR, "PID namespace to use (host, container:NAME)"),
    Flag("ipc", None, STR, "IPC mode to use (private, shareable, host, none, container:NAME)"),
    Flag("uts", None, STR, "UTS namespace to use (host)"),
    Flag("cgroupns", None, STR, "Cgroup namespace to use (host|private)"),
    Flag("userns", None, STR, "User namespace to use (host)"),
    Flag("shm-size", None, STR, "Size of /dev/shm", "bytes"),
    Flag("group-add", None, LIST, "Add additional groups to join"),
    Flag("sysctl", None, LIST, "Sysctl options (namespaced kernel parameters)", "map"),
    Flag("device", None, LIST, "Add a host device to the container", "list"),
    Flag("device-cgroup-rule", None, LIST, "Add a rule to the cgroup allowed devices list"),
    Flag("log-driver", None, STR, "Logging driver for the container (k8s-file, json-file, "
         "none)"),
    Flag("log-opt", None, LIST, "Log driver options (max-size, max-file)"),
    Flag("cidfile", None, STR, "Write the container ID to the file"),
    Flag("volumes-from", None, LIST, "Mount volumes from the specified container(s)"),
    Flag("platform", None, STR, "Set platform if server is multi-platform capable (the "
         "host's only)"),
    Flag("oom-kill-disable", None, BOOL, "Disable OOM Killer"),
    Flag("oom-score-adj", None, STR, "Tune host's OOM preferences (-1000 to 1000)", "int"),
    Flag("memory-reservation", None, STR, "Memory soft limit", "bytes"),
    Flag("blkio-weight", None, STR, "Block IO (relative weight), between 10 and 1000", "uint16"),
    Flag("blkio-weight-device", None, LIST, "Block IO weight (relative device weight)"),
    Flag("device-read-bps", None, LIST, "Limit read rate (bytes per second) from a device"),
    Flag("device-write-bps", None, LIST, "Limit write rate (bytes per second) to a device"),
    Flag("device-read-iops", None, LIST, "Limit read rate (IO per second) from a device"),
    Flag("device-write-iops", None, LIST, "Limit write rate (IO per second) to a device"),
    Flag("attach", "a", LIST, "Attach to STDIN, STDOUT or STDERR"),
    Flag("sig-proxy", None, BOOL, "Proxy received signals to the process (default true)"),
    Flag("detach-keys", None, STR, "Override the key sequence for detaching a container"),
    Flag("pod", None, STR, "Run the container in an existing pod (its network, IPC and UTS "
         "namespaces), or in a new one: new:NAME"),
    Flag("pin", None, BOOL, "Resolve the image's tag to its digest; the container records "
         "NAME@DIGEST (also: TEU_PIN=1)"),
    Flag("signature-policy", None, STR, "Trust policy file (containers-policy.json) for "
         "this image", "file"),
]


def to_options(opts: dict, args: list[str]) -> dict:
    """Parsed flags + IMAGE [COMMAND [ARG...]] -> teu.engine.config.options' input."""
    if "net" in opts:
        opts["network"] = [*opts.get("network", []), *opts.pop("net")]
    opts.pop("quiet", None)
    if opts.get("signature_policy"):  # read by teu.trust.enforce, in pull and create
        import os

        os.environ["TEU_POLICY"] = os.path.abspath(opts.pop("signature_policy"))
    opts["image"] = args[0]
    opts["command"] = args[1:] or None
    return opts
