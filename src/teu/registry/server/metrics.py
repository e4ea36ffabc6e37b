"""Prometheus text metrics: request counts and durations, bytes, uploads."""

from __future__ import annotations

import time
from collections import defaultdict


class Metrics:
    def __init__(self) -> None:
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.duration_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.duration_count: dict[tuple[str, str], int] = defaultdict(int)
        self.bytes_sent = 0
        self.bytes_received = 0
        self.blobs_committed = 0
        self.manifests_put = 0
        self.in_flight = 0

    def observe(self, method: str, route: str, status: int, seconds: float, sent: int,
                received: int) -> None:
        self.requests[(method, route, status)] += 1
        self.duration_sum[(method, route)] += seconds
        self.duration_count[(method, route)] += 1
        self.bytes_sent += sent
        self.bytes_received += received

    def render(self) -> bytes:
        lines = [
            "# HELP teu_registry_requests_total HTTP requests by method, route and status.",
            "# TYPE teu_registry_requests_total counter",
        ]
        for (m, r, s), n in sorted(self.requests.items()):
            lines.append(f'teu_registry_requests_total{{method="{m}",route="{r}",code="{s}"}} {n}')
        lines += [
            "# HELP teu_registry_request_duration_seconds Time spent answering requests.",
            "# TYPE teu_registry_request_duration_seconds summary",
        ]
        for (m, r), total in sorted(self.duration_sum.items()):
            labels = f'method="{m}",route="{r}"'
            lines.append(f"teu_registry_request_duration_seconds_sum{{{labels}}} {total:.6f}")
            lines.append(f"teu_registry_request_duration_seconds_count{{{labels}}} "
                         f"{self.duration_count[(m, r)]}")
        for name, help_, value, kind in (
            ("teu_registry_sent_bytes_total", "Bytes sent in response bodies.",
             self.bytes_sent, "counter"),
            ("teu_registry_received_bytes_total", "Bytes received in request bodies.",
             self.bytes_received, "counter"),
            ("teu_registry_blobs_committed_total", "Blob uploads completed.",
             self.blobs_committed, "counter"),
            ("teu_registry_manifests_put_total", "Manifests stored.", self.manifests_put,
             "counter"),
            ("teu_registry_requests_in_flight", "Requests being answered.", self.in_flight,
             "gauge"),
            ("teu_registry_start_time_seconds", "When the server started (Unix time).",
             self.started, "gauge"),
        ):
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", f"{name} {value}"]
        return ("\n".join(lines) + "\n").encode()
