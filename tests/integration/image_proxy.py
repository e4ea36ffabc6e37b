"""A fault-injecting HTTP proxy in front of a loopback registry, for the bad-network tests.

Modes (changeable while it runs): "pass"; "truncate" (blob bodies stop after
`limit` bytes and the connection closes, Content-Length promising more);
"corrupt" (one byte of every blob flipped); "slow" (blob bodies sent at
`rate` bytes per second). It records each request line and Range header.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from registry_helpers import free_port

HOP = {"connection", "keep-alive", "transfer-encoding", "host", "proxy-connection"}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.mode = "pass"
        self.limit = 100_000
        self.rate = 2_000_000
        self.requests: list[tuple[str, str, str | None]] = []
        # "redirect" mode: blob GETs answer 307 to http://localhost:PORT/direct/..., a
        # stand-in for a storage backend on another host, reached with `direct_auth`.
        self.direct_auth: str | None = None
        self.direct_seen_auth: list[str | None] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # noqa: ANN002
                pass

            def _forward(self) -> None:
                proxy.requests.append((self.command, self.path, self.headers.get("Range")))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                if self.path.startswith("/direct/"):
                    proxy.direct_seen_auth.append(self.headers.get("Authorization"))
                    self.path = self.path[len("/direct"):]
                    headers.pop("Authorization", None)
                    if proxy.direct_auth:
                        headers["Authorization"] = proxy.direct_auth
                elif (proxy.mode == "redirect" and self.command == "GET"
                      and "/blobs/sha256:" in self.path):
                    self.send_response(307)
                    self.send_header("Location",
                                     f"http://localhost:{proxy.port}/direct{self.path}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                up = http.client.HTTPConnection(proxy.upstream, timeout=60)
                up.request(self.command, self.path, body=body, headers=headers)
                resp = up.getresponse()
                is_blob = self.command == "GET" and "/blobs/sha256:" in self.path \
                    and resp.status in (200, 206)
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() in HOP:
                        continue
                    if k.lower() == "location":
                        v = v.replace(proxy.upstream, f"127.0.0.1:{proxy.port}")
                    self.send_header(k, v)
                mode = proxy.mode if is_blob else "pass"
                if mode == "truncate":
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command == "HEAD":
                    up.close()
                    return
                sent = 0
                flipped = False
                while True:
                    chunk = resp.read(65536)
                    if not chunk:
                        break
                    if mode == "truncate" and sent + len(chunk) > proxy.limit:
                        self.wfile.write(chunk[: max(0, proxy.limit - sent)])
                        self.wfile.flush()
                        self.close_connection = True
                        up.close()
                        return
                    if mode == "corrupt" and not flipped:
                        chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                        flipped = True
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    if mode == "slow":
                        self.wfile.flush()
                        time.sleep(len(chunk) / proxy.rate)
                up.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ranges(self) -> list[str]:
        return [r for (_, _, r) in self.requests if r]
