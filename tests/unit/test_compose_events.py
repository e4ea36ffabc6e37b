"""compose events' shapes: Go's time.Time JSON, docker compose's text line."""

from teu.compose.events import go_time, text


def test_go_time_trims_trailing_zeros() -> None:
    assert go_time(1_764_608_557_123_456_789) == "2025-12-01T17:02:37.123456789Z"
    assert go_time(1_764_608_557_120_000_000) == "2025-12-01T17:02:37.12Z"
    assert go_time(1_764_608_557_000_000_000) == "2025-12-01T17:02:37Z"


def test_text_is_docker_compose_line() -> None:
    event = {"action": "die", "id": "abc", "time": "2025-12-01T17:02:37.12Z",
             "attributes": {"name": "p-web-1", "exitCode": "0", "image": "busybox"}}
    assert text(event) == ("2025-12-01 17:02:37.120000 container die abc "
                           "(exitCode=0, image=busybox, name=p-web-1)\n")
