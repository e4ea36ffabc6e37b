"""One module per kind of step: RUN (run.py), COPY/ADD (copy.py), URLs and git (remote.py)."""
