"""teu.compose.progress: plain lines off a terminal, a redrawn block on one."""

from __future__ import annotations

import io

from teu.compose.progress import Progress


def test_plain_lines_off_a_terminal():
    out = io.StringIO()
    p = Progress(out, tty=False)
    p(" Container shop-db-1  Started")
    p("WARN[0000] something")
    assert out.getvalue() == " Container shop-db-1  Started\nWARN[0000] something\n"


def screen(text: str) -> list[str]:
    """What a terminal shows after `text` (only the cursor-up + erase-below this uses)."""
    import re

    lines: list[str] = []
    for part in re.split(r"(\x1b\[\d+A\x1b\[J)", text):
        m = re.match(r"\x1b\[(\d+)A\x1b\[J", part)
        if m:
            del lines[len(lines) - int(m.group(1)):]
        else:
            lines.extend(part.splitlines())
    return lines


def test_block_redrawn_on_a_terminal():
    out = io.StringIO()
    p = Progress(out, tty=True)
    p(" Network shop_default  Created")
    p(" Container shop-db-1  Starting")
    assert screen(out.getvalue())[2].startswith(" \u283f Container shop-db-1   Starting")
    p(" Container shop-db-1  Started")
    p("a warning")  # above the block
    p.close()
    p(" Container shop-db-1  Stopped")  # after close: plain
    shown = [line.rsplit("  ", 1)[0] for line in screen(out.getvalue())]
    assert shown == ["a warning", "[+] Running 2/2",
                     " \u2714 Network shop_default  Created",
                     " \u2714 Container shop-db-1   Started",
                     " Container shop-db-1"]  # (the plain line, its state cut above)


def test_a_build_ends_the_block():
    out = io.StringIO()
    p = Progress(out, tty=True)
    p(" Network n  Created")
    p(" Service web  Building")
    out.write("#1 [1/2] FROM busybox\n")  # the build's own output, not through progress
    p(" Service web  Built")
    p(" Container c-1  Started")
    text = out.getvalue()
    # nothing drawn before the build's lines is moved over them
    after = text.split("#1 [1/2] FROM busybox\n", 1)[1]
    assert after.startswith("[+] Running 1/1\n")
    assert "Container c-1" in after and "\x1b[" not in after.split("[+]", 1)[0]
