"""What runs beside a container while it lives: its stdio, log, exit and health.

    conmon.py      one conmon per detached container (stdio, log, exit code)
    cleanup.py     conmon's exit command: record the exit, apply the restart policy
    foreground.py  a foreground `teu run`: teu.runtime driven in this process, no conmon
    attach.py      attach to a conmon-monitored container through its attach socket
    logs.py        the k8s-file log format, written and read
    health.py      health checks without a daemon
"""
