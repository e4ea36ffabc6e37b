"""A container's settings: flags + image config -> docker's Config/HostConfig -> OCI spec.

    options.py     flags (CLI or API) -> docker-shaped Config and HostConfig, validated
    units.py       docker's value syntaxes: sizes, CPUs, durations, signals, ulimits
    images.py      the image a container is made from (a fast path over the store's tables)
    users.py       --user -> uid, gid and groups, from the container's /etc/passwd
    spec.py        Config + HostConfig + image config -> OCI runtime spec, hardened like docker
    seccomp.py     docker's default seccomp profile (seccomp_default.json) -> linux.seccomp
"""
