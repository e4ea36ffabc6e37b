"""teu.network: container networking over CNI 1.0, below the engine.

    config.py    a network as teu keeps it (docker's view) and its CNI conflist
    store.py     networks on disk: <root>/networks/<name>.conflist, the default
                 `bridge`, user conflists from --cni-config-dir, subnet allocation
    cni.py       the CNI executor: ADD/DEL/CHECK over a conflist, CNI_ARGS, runtime
                 config capabilities, cached results, plugins from /usr/lib/cni
    netns.py     a container's network namespace, made by teu and held by an fd
    nft.py       teu's own nftables table: NAT out, published ports, isolation
    ports.py     -p/-P specs, host port allocation and "port is already allocated"
    attach.py    a container's attachments: begin (plugins run while the runtime
                 creates the container), finish, detach; what inspect shows
    hosts.py     /etc/hosts and /etc/resolv.conf of containers, kept current
    overlay.py   VXLAN/Geneve devices for -d overlay networks (static peers)
    explain.py   `teu port --explain`: the path a packet to a published port takes

State: <root>/networks/ (conflists, IPAM leases, attachment records); the kernel
objects (bridges, veths, nftables table `ip teu`) are rebuilt from them as needed.
Only the engine imports this package; it imports teu.oci-level helpers only.
"""
