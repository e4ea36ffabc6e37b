"""What the Engine API tests share: `teu system service` on a private socket over a
private teu (engine_helpers.private_teu), and a raw HTTP client over a unix socket."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import Any

DOCKER_CLI = "/usr/local/bin/docker"  # 28.2; Debian's /usr/bin/docker talks to dockerd 20.10


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 60) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Service:
    """`teu system service --time 0 unix://SOCK` for the Teu `t`, stopped by its PID."""

    def __init__(self, t: Any) -> None:
        self.dir = tempfile.mkdtemp(prefix="teu-api-", dir="/tmp")  # a socket path <= 107
        self.sock = os.path.join(self.dir, "teu.sock")
        self.url = f"unix://{self.sock}"
        self.env = {**t.env, "DOCKER_HOST": self.url, "DOCKER_CONFIG": self.dir}
        self.log = open(os.path.join(self.dir, "service.log"), "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(t.cmd("system", "service", "--time", "0", self.url),
                                     env=t.env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/_ping")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"teu system service did not start: {self.log_text()}")
            time.sleep(0.05)

    def log_text(self) -> str:
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def request(self, method: str, path: str, body: Any = None,
                headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
        conn = UnixHTTPConnection(self.sock, timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            h = dict(headers or {})
            if data is not None:
                h.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, data = self.request(method, path, body)
        return status, json.loads(data) if data.strip() else None

    def docker(self, *args: str, timeout: float = 60,
               input: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([DOCKER_CLI, *args], env=self.env, capture_output=True,
                              timeout=timeout, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def services_over(teus: Iterable[Any]) -> Iterator[Service]:
    """A `Service` over each Teu a fixture generator yields (private_teu, host_teu),
    stopped before that generator cleans its Teu up."""
    for t in teus:
        s = Service(t)
        try:
            yield s
        finally:
            s.stop()


_SHARED: dict[str, Any] = {}


def session_shared(request: Any, key: str, make: Any) -> Any:
    """What the generator `make(tmp_path)` yields, made once per pytest session and closed
    at the session's end (config.add_cleanup), for every module that asks by `key`: one
    reference dockerd for all the Engine API modules instead of one per module or test.
    The scripts that share one remove what they make."""
    if key not in _SHARED:
        gen = make(request.getfixturevalue("tmp_path_factory").mktemp(key))
        value = next(gen)
        _SHARED[key] = value

        def close() -> None:
            _SHARED.pop(key, None)
            next(gen, None)

        request.config.add_cleanup(close)
    return _SHARED[key]


def shared_dockerd(request: Any) -> Any:
    """The session's private dockerd 20.10 (no bridge: scripts use --network none)."""
    from tests.integration.engine_helpers import private_dockerd

    return session_shared(request, "dockerd", private_dockerd)


def side_by_side(theirs: Any, ours: Any) -> tuple[Any, Any]:
    """theirs() and ours() at once, each in a thread: the scripts drive different engines
    and mostly wait on them, so a differential test takes the slower one's time instead
    of the sum. Each script's exception is raised here."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(theirs), pool.submit(ours)
        return a.result(), b.result()
