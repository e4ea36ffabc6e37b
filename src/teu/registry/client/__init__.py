"""The distribution client: talk to any OCI registry (pull, push, login).

    errors.py       RegistryError and friends, from the spec's error bodies
    challenge.py    WWW-Authenticate parsing (RFC 7235)
    credentials.py  docker config.json / containers auth.json: read, login, logout
    transport.py    HTTP connections: scheme choice, per-thread keep-alive, redirects
    auth.py         anonymous, basic and bearer-token auth; scopes; token reuse
    remote.py       one repository on one registry: manifests, blobs, uploads, mounts
    image.py        a remote image through teu.image.types (platform choice included)
    pull.py         registry -> store
    push.py         store -> registry
"""
