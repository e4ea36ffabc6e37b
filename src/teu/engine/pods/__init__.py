"""Pods, as podman has them: containers sharing one network, IPC and UTS namespace.

The namespaces are held by the pod's infra container, a small pause process
(catatonit -P from a locally made image, as podman's own pause image); the
other containers join them (`teu run --pod POD`: --network/--ipc/--uts
container:INFRA). The pod itself is a row in <root>/teu.db's `pods` table;
its status is derived from its containers' states, never stored.

    store.py      the pods table (made on first use) and the Pod record
    pause.py      the infra image, localhost/teu-pause, made from catatonit
    lifecycle.py  create, start, stop, kill, remove; what `run --pod` joins
    view.py       status, inspect's JSON and the rows of `pod ls`, as podman's
"""
