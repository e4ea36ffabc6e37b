"""The verbs that report on containers without changing them.

    inspect.py     docker inspect's JSON for a container
    listing.py     ps, with docker's --format fields and filters
    stats.py       CPU, memory, network, block I/O and pids, from the cgroups
    top.py         the container's processes, as ps shows them
    logs_cmd.py    logs: print (and follow) a container's log
    system.py      system df, system prune and info
"""
