"""HTTP probes and load for the service rows: first good answer, and requests per
second with wrk (Debian's `wrk`) or, where wrk is not installed, a small bundled load
generator (Python threads; it measures less than wrk can, and the report says which
tool ran)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time

REQUEST = b"GET /index.html HTTP/1.0\r\nHost: bench\r\n\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """One GET; True on a 200."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(REQUEST)
            head = s.recv(64)
            return head.startswith(b"HTTP/1.") and head[9:12] == b"200"
    except OSError:
        return False


def wait_ready(port: int, start: float, timeout: float = 30.0) -> float | None:
    """Seconds from `start` (time.monotonic) to the first good answer, or None."""
    while time.monotonic() - start < timeout:
        if answers(port, timeout=0.5):
            return time.monotonic() - start
        time.sleep(0.005)
    return None


def tool() -> str:
    return "wrk" if shutil.which("wrk") else "bundled"


def rps(port: int, seconds: int, connections: int = 16) -> float:
    """Requests per second against http://127.0.0.1:port/index.html."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s",
                              f"http://127.0.0.1:{port}/index.html"], capture_output=True,
                             text=True, timeout=seconds + 30).stdout
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not m:
            raise RuntimeError(f"wrk said: {out.strip()[-200:]}")
        return float(m.group(1))
    return _bundled(port, seconds, connections)


def _bundled(port: int, seconds: int, connections: int) -> float:
    done = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(REQUEST)
                    while s.recv(65536):
                        pass
                done[i] += 1
            except OSError:
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - t0)


def rps_many(ports: list[int], seconds: int, connections: int = 8) -> list[float]:
    """Requests per second of each port, all loaded at the same time."""
    results: list[float] = [0.0] * len(ports)

    def one(i: int) -> None:
        results[i] = rps(ports[i], seconds, connections)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(ports))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
