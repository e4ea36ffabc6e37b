"""teu.dockerapi: the Docker Engine API (1.24-1.47) over a socket, served by
`teu system service`, so the docker CLI, docker compose, docker-py and
testcontainers drive teu unchanged.

A front, thin over the layers: http.py (requests and responses over ASGI),
versions.py (the /vN.NN/ prefix and negotiation), app.py (routes, errors, threads),
one module per group of endpoints (system.py, containers.py, ...), serve.py (the
socket and uvicorn). The state it serves is the store the `teu` command uses.
"""
