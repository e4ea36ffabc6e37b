"""teu.runtime: an OCI bundle in, a running container out.

The runtime speaks runc's command line (`teu-runtime`, see cli/) and is a
library too: create.py starts a container, init.py is what runs inside it up to
the exec of the user's program, exec.py joins a running one. Every syscall goes
through linux.py, the seam unit tests replace.
"""
