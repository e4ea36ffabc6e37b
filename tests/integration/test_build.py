"""teu build on the real kernel: Dockerfiles on the locally made busybox image, the
results run as containers; the cache; failures that tag nothing and leave nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from tests.integration.engine_helpers import IMAGE, mounts_under, private_teu
from tests.integration.proc_helpers import command_line, descendants, wait_until

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def teu(tmp_path_factory):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path_factory.mktemp("build"))


def write(ctx: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = ctx / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return ctx


def build(teu, ctx: Path, *args: str, check: bool = True, **kw):  # noqa: ANN001, ANN201
    p = teu("build", *args, str(ctx), timeout=120, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"build failed ({p.returncode}):\n{p.stderr}")
    assert_clean(teu)
    return p


def assert_clean(teu) -> None:  # noqa: ANN001
    """No build container state, temporary directory or mount left behind."""
    oneshot = teu.runroot / "oneshot"
    left = [n for n in os.listdir(oneshot) if not n.startswith((".", "bundles"))] \
        if oneshot.exists() else []
    assert not left, f"one-shot containers left: {left}"
    tmp = teu.root / "tmp"
    builds = [n for n in os.listdir(tmp) if n.startswith("build-")] if tmp.exists() else []
    assert not builds, f"build directories left: {builds}"
    assert not mounts_under(teu.top)
    stale = []
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        top = Path("/sys/fs/cgroup", hierarchy, "teu-build")
        for d in top.glob("build-*") if top.is_dir() else []:
            owner = d.name.split("-")[1]
            if not Path(f"/proc/{owner}").exists():
                stale.append(str(d))
    assert not stale, f"cgroups of build containers left: {stale}"


def config(teu, ref: str) -> dict:  # noqa: ANN001
    return teu.inspect(ref)


def raw_config(teu, ref: str) -> dict:  # noqa: ANN001
    image_id = teu.inspect(ref)["Id"]
    blob = teu.root / "blobs" / "sha256" / image_id.partition(":")[2]
    return json.loads(blob.read_bytes())


MULTI = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS build
ARG GREETING=hello
WORKDIR /src
COPY app.sh ./
RUN dd if=/dev/zero of=/src/toolchain bs=1k count=2048 2>/dev/null \\
 && echo "$GREETING from build" > /src/out.txt
RUN <<EOF
echo heredoc step
cat app.sh >> /src/out.txt
EOF

FROM ${BASE}
ENV APP_HOME=/app MODE="two words"
LABEL org.example.name=demo version=1
WORKDIR /app
COPY --from=build /src/out.txt ./
USER user:user
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --retries=2 CMD ["true"]
SHELL ["/bin/sh", "-ec"]
ONBUILD RUN echo child
ENTRYPOINT ["cat"]
CMD ["/app/out.txt"]
"""


def test_multi_stage_build_runs_and_writes_dockers_config(teu, tmp_path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": MULTI, "app.sh": "echo app\n"})
    p = build(teu, ctx, "-t", "multi:1", "-t", "multi:also", "--label", "extra=yes",
              "--build-arg", "GREETING=hi")
    assert "#1 [build 1/6] FROM busybox" in p.stderr or "[build 1/6] FROM busybox" in p.stderr
    assert "heredoc step" in p.stderr and "DONE" in p.stderr
    assert teu.ok("run", "--rm", "multi:1") == "hi from build\necho app\n"
    assert teu.ok("run", "--rm", "--entrypoint", "id", "multi:also", "-un") == "user\n"
    c = raw_config(teu, "multi:1")
    cc = c["config"]
    assert cc["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "APP_HOME=/app", "MODE=two words"]
    assert cc["Entrypoint"] == ["cat"] and cc["Cmd"] == ["/app/out.txt"]
    assert cc["WorkingDir"] == "/app" and cc["User"] == "user:user"
    assert cc["ExposedPorts"] == {"53/udp": {}, "8080/tcp": {}}
    assert cc["Volumes"] == {"/data": {}} and cc["StopSignal"] == "SIGTERM"
    assert cc["Labels"] == {"org.example.name": "demo", "version": "1", "extra": "yes"}
    assert cc["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 30_000_000_000,
                                 "Retries": 2}
    assert cc["Shell"] == ["/bin/sh", "-ec"] and cc["OnBuild"] == ["RUN echo child"]
    new = [h for h in c["history"] if h.get("comment") == "buildkit.dockerfile.v0"]
    assert [(h["created_by"], h.get("empty_layer", False)) for h in new] == [
        ("ENV APP_HOME=/app MODE=two words", True),
        ("LABEL org.example.name=demo version=1", True),
        ("WORKDIR /app", False),
        ("COPY /src/out.txt ./ # buildkit", False),
        ("USER user:user", True),
        ("EXPOSE [53/udp 8080/tcp]", True),  # sorted as written, as BuildKit does
        ("VOLUME [/data]", True),
        ("STOPSIGNAL SIGTERM", True),
        ("HEALTHCHECK {Test:[CMD true] Interval:30s Timeout:0s StartPeriod:0s "
         "StartInterval:0s Retries:2}", True),
        ("SHELL [/bin/sh -ec]", True),
        ('ENTRYPOINT ["cat"]', True),
        ('CMD ["/app/out.txt"]', True)]
    assert len(c["rootfs"]["diff_ids"]) == 1 + sum(not h.get("empty_layer") for h in new)
    # The build stage with its toolchain vs the final image: the seed's 1 GB -> 50 MB.
    build(teu, ctx, "-q", "--target", "build", "-t", "multi:build")
    stage = raw_config(teu, "multi:build")
    assert [h["created_by"] for h in stage["history"][-2:]][0].startswith(
        "RUN |1 GREETING=hello /bin/sh -c dd if=/dev/zero")
    final_only = config(teu, "multi:1")["Size"] - config(teu, IMAGE)["Size"]
    assert final_only < 0.05 * config(teu, "multi:build")["Size"]
    # A child image runs the ONBUILD trigger.
    child = write(tmp_path / "child", {"Dockerfile": "FROM multi:1\nRUN true\n"})
    p = build(teu, child, "-t", "child:1")
    assert "child" in p.stderr and "OnBuild" not in raw_config(teu, "child:1")["config"]


def test_scratch_final_image_is_under_5_percent_of_the_build_stage(teu, tmp_path) -> None:
    df = ("FROM busybox AS build\nRUN mkdir /out && cp /bin/busybox /out/ && "
          "dd if=/dev/urandom of=/junk bs=1k count=3072 2>/dev/null\n"
          "FROM scratch\nCOPY --from=build /out/busybox /bin/sh\nCMD [\"/bin/sh\", \"-c\", "
          "\"echo from scratch\"]\n")
    ctx = write(tmp_path / "ctx", {"Dockerfile": df})
    build(teu, ctx, "-t", "tiny:1")
    build(teu, ctx, "-q", "--target", "build", "-t", "tiny:build")
    assert teu.ok("run", "--rm", "tiny:1") == "from scratch\n"
    assert config(teu, "tiny:1")["Size"] < 0.5 * config(teu, "tiny:build")["Size"]


def test_cache_reuses_until_a_read_file_changes(teu, tmp_path) -> None:
    df = ("FROM busybox\nRUN echo base > /base\nCOPY a.txt /a\nRUN cat /a > /copy\n"
          "COPY b.txt /b\nRUN cat /proc/sys/kernel/random/uuid > /stamp\n")
    ctx = write(tmp_path / "ctx", {"Dockerfile": df, "a.txt": "A", "b.txt": "B",
                                   "unused.txt": "x"})
    build(teu, ctx, "-t", "cache:1")
    stamp = teu.ok("run", "--rm", "cache:1", "cat", "/stamp")
    p = build(teu, ctx, "-t", "cache:2")
    assert p.stderr.count("CACHED") == 5
    assert teu.inspect("cache:1")["Id"] == teu.inspect("cache:2")["Id"]
    (ctx / "unused.txt").write_text("changed")
    os.utime(ctx / "a.txt")  # a new mtime, the same content: still a hit
    assert build(teu, ctx, "-t", "cache:3").stderr.count("CACHED") == 5
    (ctx / "b.txt").write_text("B2")
    p = build(teu, ctx, "-t", "cache:4")
    assert p.stderr.count("CACHED") == 3
    assert teu.ok("run", "--rm", "cache:4", "cat", "/b") == "B2"
    assert teu.ok("run", "--rm", "cache:4", "cat", "/stamp") != stamp
    p = build(teu, ctx, "--no-cache", "-t", "cache:5")
    assert "CACHED" not in p.stderr
    # COPY --link: a changed step below it does not invalidate it (BuildKit's rebase);
    # what follows it still reruns.
    linked = write(tmp_path / "linked", {"Dockerfile": "FROM busybox\nARG V\nRUN echo $V > /v\n"
                                                       "COPY --link a.txt /dir/a\n"
                                                       "RUN cat /v /dir/a > /both\n",
                                         "a.txt": "A"})
    build(teu, linked, "--build-arg", "V=1", "-t", "link:1")
    p = build(teu, linked, "--build-arg", "V=2", "-t", "link:2")
    assert p.stderr.count("CACHED") == 1 and "COPY --link a.txt /dir/a\n#" in p.stderr
    assert "CACHED" in p.stderr.split("COPY --link a.txt /dir/a", 1)[1].split("\n#", 2)[1]
    assert teu.ok("run", "--rm", "link:2", "cat", "/both") == "2\nA"
    # Removing the images keeps the build cache (as docker's image prune does)...
    teu.ok("rmi", "cache:1", "cache:2", "cache:3", "cache:4", "cache:5")
    teu.ok("image", "prune", "-f")
    assert build(teu, ctx, "-t", "cache:6").stderr.count("CACHED") == 5
    # ...`teu builder prune` clears it.
    teu.ok("rmi", "cache:6")
    assert "Deleted build cache objects:" in teu.ok("builder", "prune", "-f")
    assert "CACHED" not in build(teu, ctx, "-t", "cache:7").stderr


def test_source_date_epoch_gives_the_same_digest(teu, tmp_path) -> None:
    df = ("FROM busybox\nCOPY . /ctx/\nRUN echo made > /made && mkdir -p /var/x\n"
          "ENV A=1\n")
    ctx = write(tmp_path / "ctx", {"Dockerfile": df, "f": "content"})
    ids = []
    for _ in range(2):
        build(teu, ctx, "-q", "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
              "-t", "repro:1")
        ids.append(teu.inspect("repro:1")["Id"])
        time.sleep(1.1)
    assert ids[0] == ids[1]
    assert raw_config(teu, "repro:1")["created"] == "2023-11-14T22:13:20Z"


def test_copy_and_add_options(teu, tmp_path) -> None:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as t:
        data = b"inside the archive\n"
        ti = tarfile.TarInfo("pkg/readme")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    files = {
        "Dockerfile": """\
FROM busybox
COPY --chown=user:wheel --chmod=640 src/*.txt /dst/
COPY --chmod=u+x,go-w src/run.sh /bin/run.sh
COPY --exclude=*.log logs/ /logs/
COPY --parents src/deep/dir/f.conf /p/
COPY --link src/a.txt /linked/a.txt
COPY <<EOF /etc/motd
hello $NAME
EOF
ADD pkg.tar.gz /opt/
COPY . /all/
""",
        "src/a.txt": "a", "src/b.txt": "b", "src/run.sh": "#!/bin/sh\necho run\n",
        "src/deep/dir/f.conf": "conf", "logs/keep.out": "k", "logs/drop.log": "d",
        "secret.key": "no", "build/out/x": "no", "build/out/keep.me": "yes",
        ".dockerignore": "*.key\n**/out\n!build/out/keep.me\n",
        "pkg.tar.gz": archive.getvalue(),
    }
    ctx = write(tmp_path / "ctx", files)
    os.chmod(ctx / "src" / "run.sh", 0o666)
    build(teu, ctx, "-t", "copy:1")
    out = teu.ok("run", "--rm", "copy:1", "sh", "-c",
                 "stat -c '%n %a %U %G' /dst/a.txt /dst/b.txt /bin/run.sh; run.sh; "
                 "ls /logs; cat /p/src/deep/dir/f.conf; echo; cat /linked/a.txt; echo; "
                 "cat /etc/motd /opt/pkg/readme; ls -a /all /all/build/out | sort | tr '\\n' ' '")
    lines = out.splitlines()
    assert lines[:3] == ["/dst/a.txt 640 user wheel", "/dst/b.txt 640 user wheel",
                         "/bin/run.sh 744 root root"]
    assert lines[3:8] == ["run", "keep.out", "conf", "a", "hello "]
    assert lines[8] == "inside the archive"
    listed = lines[9].split()
    assert "secret.key" not in listed and "keep.me" in listed and "x" not in listed
    assert ".dockerignore" in listed and "Dockerfile" in listed
    # Dockerfile.dockerignore, next to the Dockerfile, wins over .dockerignore.
    (ctx / "Dockerfile.dockerignore").write_text("src/a.txt\n")
    p = build(teu, ctx, "-t", "copy:2", check=False)
    assert p.returncode == 1 and "excluded by Dockerfile.dockerignore:1: src/a.txt" in p.stderr


def test_add_url_with_checksum_from_a_loopback_server(teu, tmp_path) -> None:
    import http.server
    import threading

    served = tmp_path / "www"
    served.mkdir()
    (served / "file.bin").write_bytes(b"downloaded\n")
    digest = hashlib.sha256(b"downloaded\n").hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a) -> None:  # noqa: ANN002
            pass

    handler = lambda *a, **k: Quiet(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/file.bin"
    try:
        ok = write(tmp_path / "ok", {"Dockerfile": f"FROM busybox\nADD --checksum=sha256:"
                                                   f"{digest} {url} /d/\n"})
        build(teu, ok, "-t", "url:1")
        assert teu.ok("run", "--rm", "url:1", "sh", "-c",
                      "cat /d/file.bin; stat -c %a /d/file.bin") == "downloaded\n600\n"
        bad = write(tmp_path / "bad", {"Dockerfile": f"FROM busybox\nADD --checksum=sha256:"
                                                     f"{'0' * 64} {url} /d/\n"})
        p = build(teu, bad, "-t", "url:bad", check=False)
        assert p.returncode == 1 and "digest mismatch" in p.stderr
        # ADD --link of a URL: a changed step below does not invalidate it (as COPY --link).
        linked = write(tmp_path / "linked", {"Dockerfile": f"FROM busybox\nARG V\nRUN echo $V "
                                                           f"> /v\nADD --link {url} /d/\n"
                                                           "RUN cat /v /d/file.bin > /both\n"})
        build(teu, linked, "--build-arg", "V=1", "-t", "urllink:1")
        p = build(teu, linked, "--build-arg", "V=2", "-t", "urllink:2")
        add_step = p.stderr.split(f"ADD --link {url} /d/", 1)[1].split("\n#", 2)[1]
        assert "CACHED" in add_step and p.stderr.count("CACHED") == 1, p.stderr
        assert teu.ok("run", "--rm", "urllink:2", "cat", "/both") == "2\ndownloaded\n"
    finally:
        server.shutdown()


def test_run_mounts_secrets_and_shebang_heredoc(teu, tmp_path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t-value")
    df = """\
FROM busybox
RUN --mount=type=cache,target=/cache sh -c 'echo run >> /cache/log; wc -l < /cache/log > /count'
RUN --mount=type=cache,id=seeded,target=/s,from=busybox,source=/etc cat /s/group > /seeded
RUN --mount=type=secret,id=tok cat /run/secrets/tok | wc -c > /secret-size
RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'echo ${#TOKEN} > /env-size'
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo t > /scratch/x && cat /scratch/x > /tmpfs'
RUN --mount=type=bind,source=data,target=/mnt cat /mnt/in.txt > /bound && ! test -e /mnt/x.key
RUN <<EOF
#!/usr/bin/awk -f
BEGIN { print "awk ran" > "/awk.out" }
EOF
"""
    ctx = write(tmp_path / "ctx", {"Dockerfile": df, "data/in.txt": "bound\n",
                                   "data/x.key": "ignored", ".dockerignore": "**/*.key\n"})
    p = build(teu, ctx, "--secret", f"id=tok,src={secret}", "-t", "mounts:1")
    assert "s3cr3t-value" not in p.stderr
    out = teu.ok("run", "--rm", "mounts:1", "sh", "-c",
                 "grep -c wheel /seeded; "
                 "cat /count /secret-size /env-size /tmpfs /bound /awk.out; ls /cache /scratch /mnt "
                 "/run/secrets /dev/pipes 2>&1 | grep -c 'No such'")
    assert out.split() == ["1", "1", "12", "12", "t", "bound", "awk", "ran", "5"]
    # The cache mount outlives the build; the secret is nowhere in the image.
    build(teu, ctx, "--no-cache", "--secret", f"id=tok,src={secret}", "-t", "mounts:2")
    assert teu.ok("run", "--rm", "mounts:2", "cat", "/count") == "2\n"
    image_dir = teu.root
    found = subprocess.run(["grep", "-rl", "s3cr3t-value", str(image_dir)],
                           capture_output=True, text=True).stdout
    assert found == "", found
    assert "s3cr3t" not in json.dumps(raw_config(teu, "mounts:2"))


def test_failures_are_one_line_tag_nothing_and_leave_nothing(teu, tmp_path) -> None:
    before = teu.ok("images", "-q")
    fail = write(tmp_path / "fail", {"Dockerfile": "FROM busybox\nRUN echo out1; echo out2; "
                                                   "echo err >&2; exit 3\n"})
    p = build(teu, fail, "-t", "fail:1", check=False)
    assert p.returncode == 1
    assert 'did not complete successfully: exit code: 3' in p.stderr
    assert "out2" in p.stderr and "err" in p.stderr and "Traceback" not in p.stderr
    q = build(teu, fail, "-q", "-t", "fail:1", check=False)
    assert q.returncode == 1 and "out2" in q.stderr and q.stdout == ""
    cases = {
        "FROM busybox\nCOPY missing.txt /x\n": ['"/missing.txt" not found in the build '
                                                "context"],
        "FROM busybox\nCOPY ignored.txt /x\n": ["excluded by .dockerignore:1: ignored.txt"],
        "FROM busybox\nCOPY ../outside /x\n": ["forbidden path outside the build context"],
        "FROM busybox\nRUNN true\n": ["Dockerfile:2: unknown instruction: RUNN"],
        "FROM busybox\nCOPY --from=nope /a /b\n": ["--from=nope"],
        "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /x /x\n":
            ["circular dependency detected"],
        "FROM busybox\nRUN --mount=type=secret,id=x,required cat /run/secrets/x\n":
            ["secret x: not provided"],
        "FROM nosuchimage:1\n": ["FROM nosuchimage:1"],
    }
    for i, (df, messages) in enumerate(cases.items()):
        ctx = write(tmp_path / f"c{i}", {"Dockerfile": df, "ignored.txt": "x",
                                         ".dockerignore": "ignored.txt\n"})
        p = build(teu, ctx, "-t", f"bad:{i}", check=False)
        assert p.returncode == 1, (df, p.stderr)
        err = p.stderr.strip().splitlines()[-1]
        for m in messages:
            assert m in err, (df, err)
    p = build(teu, fail, "--platform", "linux/s390x", check=False)
    assert p.returncode == 1 and "this machine's platform" in p.stderr
    assert teu.ok("images", "-q") == before


def _sleeping(build_pid: int) -> bool:
    return any(command_line(p).endswith("sleep 300") for p in descendants(build_pid))


def test_interrupted_build_leaves_the_store_usable(teu, tmp_path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo first > /f\n"
                                                 "RUN sleep 300\n"})
    for sig in (signal.SIGINT, signal.SIGKILL):
        err = tmp_path / f"build-{sig}.err"
        with open(err, "wb") as f:
            proc = subprocess.Popen(teu.cmd("build", "-t", "intr:1", str(ctx)), env=teu.env,
                                    stdout=subprocess.DEVNULL, stderr=f)
        try:
            # interrupted while the second RUN's container runs (the first RUN is done)
            wait_until(lambda proc=proc: proc.poll() is not None or _sleeping(proc.pid), 120,
                       "the build's RUN sleep 300")
            assert proc.poll() is None, err.read_text()
            proc.send_signal(sig)
            proc.wait(timeout=120)  # the RUN would sleep for 300 s: only an interrupt ends it
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert "intr:1" not in teu.ok("images")
    # The next build sweeps what the killed one left (its container, still sleeping),
    # reuses the finished step, and works.
    quick = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo first > /f\n"})
    p = build(teu, quick, "-t", "intr:2")
    assert "CACHED" in p.stderr
    assert teu.ok("run", "--rm", "intr:2", "cat", "/f") == "first\n"


def test_cli_forms(teu, tmp_path) -> None:
    ctx = write(tmp_path / "ctx", {"f.txt": "from tar\n"})
    df = b"ARG V=default\nFROM busybox\nARG V\nARG W=w\nCOPY f.txt /f\nRUN echo $V $W > /v\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(str(ctx / "f.txt"), arcname="f.txt")
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(df)
        t.addfile(ti, io.BytesIO(df))
    iid = tmp_path / "iid"
    p = teu("build", "-q", "--iidfile", str(iid), "-t", "cli:tar", "-", input=buf.getvalue())
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == iid.read_text() == teu.inspect("cli:tar")["Id"]
    assert teu.ok("run", "--rm", "cli:tar", "cat", "/f", "/v") == "from tar\ndefault w\n"
    p = teu("build", "-f", "-", "--build-arg", "V=given", "-t", "cli:stdin", str(ctx),
            input=df)
    assert p.returncode == 0, p.stderr
    assert teu.ok("run", "--rm", "cli:stdin", "cat", "/v") == "given w\n"
    p = teu("build", "--progress", "rawjson", "-f", "-", "-t", "cli:stdin", str(ctx), input=df)
    events = [json.loads(line) for line in p.stderr.splitlines() if line.startswith("{")]
    done = [v for e in events for v in e.get("vertexes", []) if v.get("completed")]
    assert any(v.get("cached") and "RUN echo $V $W" in v["name"] for v in done), p.stderr
    p = teu("image", "build", "--bogus", str(ctx))
    assert p.returncode == 125 and "unknown flag: --bogus" in p.stderr


def test_check_outputs_and_a_local_cache_across_stores(teu, tmp_path) -> None:
    df = ("ARG TAG=latest\nFROM busybox:${TAG} as base\nENV API_TOKEN=x\nWORKDIR rel\n"
          "COPY f${UNDEFINED_THING} /u\nCOPY f /f\nCMD echo shell form\n")
    ctx = write(tmp_path / "ctx", {"Dockerfile": df, "f": "file\n"})
    p = teu("build", "--check", str(ctx))
    assert p.returncode == 1
    for rule, line in [("FromAsCasing", 2), ("SecretsUsedInArgOrEnv", 3),
                       ("WorkdirRelativePath", 4), ("UndefinedVar", 5),
                       ("JSONArgsRecommended", 7)]:
        assert f"{rule} - https://docs.docker.com/go/dockerfile/rule/" in p.stdout
        assert f"Dockerfile:{line}" in p.stdout
    ok = write(tmp_path / "ok", {"Dockerfile": "# check=skip=all\nFROM busybox as x\n"})
    assert teu("build", "--check", str(ok)).stdout.startswith("Check complete, no warnings")
    # The same warnings during a real build, with file:line.
    p = build(teu, ctx, "-t", "checked:1")
    assert "UndefinedVar: Usage of undefined variable '$UNDEFINED_THING' (Dockerfile:5)" \
        in p.stderr
    # Outputs: the root filesystem as a directory and as a tar, the image as an archive.
    out = tmp_path / "out"
    build(teu, ctx, "--output", f"type=local,dest={out}")
    assert (out / "f").read_text() == "file\n" and (out / "bin" / "busybox").exists()
    build(teu, ctx, "-o", f"type=tar,dest={tmp_path / 'fs.tar'}")
    with tarfile.open(tmp_path / "fs.tar") as t:
        assert t.extractfile("f").read() == b"file\n"
    build(teu, ctx, "-o", f"type=oci,dest={tmp_path / 'img.tar'}")
    with tarfile.open(tmp_path / "img.tar") as t:
        assert {"index.json", "oci-layout", "manifest.json"} <= set(t.getnames())
    # --cache-to, then a fresh store with --cache-from: every step is a hit.
    cached = write(tmp_path / "cached", {"Dockerfile": "FROM busybox\nRUN --mount=type=cache,"
                                                      "target=/c echo m >> /c/log\n"
                                                      "COPY f /f\nRUN cat /f > /g\n",
                                         "f": "F"})
    cache_dir = tmp_path / "cache"
    build(teu, cached, "-t", "ct:1", "--cache-to", f"type=local,dest={cache_dir}")
    assert (cache_dir / "index.json").exists()
    (tmp_path / "other").mkdir()
    gen = private_teu(tmp_path / "other")
    other = next(gen)
    try:
        # The same base image (as a pull would give): keys start from its ID.
        teu.ok("save", "-o", str(tmp_path / "base.tar"), IMAGE)
        other.ok("load", "-i", str(tmp_path / "base.tar"))
        p = build(other, cached, "-t", "ct:2", "--cache-from", f"type=local,src={cache_dir}")
        assert p.stderr.count("CACHED") == 3, p.stderr
        assert other.ok("run", "--rm", "ct:2", "cat", "/g") == "F"
        p = build(other, cached, "--no-cache", "-t", "ct:3", "--cache-from",
                  f"type=local,src={cache_dir}")
        assert "CACHED" not in p.stderr
        # The same through a registry (teu registry serve on loopback), as an OCI artifact.
        from tests.integration.registry_helpers import RegistryServer

        reg = RegistryServer(tmp_path / "registry", tmp_path / "registry.log").start()
        try:
            ref = f"{reg.host}/cache/app:buildcache"
            build(teu, cached, "-t", "ct:4", "--cache-to", f"type=registry,ref={ref}")
            other.ok("rmi", "ct:2", "ct:3")
            other.ok("image", "prune", "-a", "-f")
            import sqlite3

            db = sqlite3.connect(other.root / "teu.db")
            with db:
                db.execute("DELETE FROM build_cache")  # only the registry can answer now
            db.close()
            other.ok("load", "-i", str(tmp_path / "base.tar"))
            p = build(other, cached, "-t", "ct:5", "--cache-from", f"type=registry,ref={ref}")
            assert p.stderr.count("CACHED") == 3, p.stderr
            assert other.ok("run", "--rm", "ct:5", "cat", "/g") == "F"
        finally:
            reg.stop()
    finally:
        next(gen, None)


def test_git_sources_named_contexts_and_hostile_input(teu, tmp_path) -> None:
    repo = tmp_path / "repo.git"
    work = tmp_path / "work"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    write(work, {"sub/hello.txt": "from git\n", "top.txt": "top\n"})
    subprocess.run([*git, "-C", str(work), "add", "."], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "one"], check=True)
    subprocess.run(["git", "-C", str(work), "tag", "v1"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(repo)], check=True)
    extra = write(tmp_path / "extra", {"x.txt": "named context\n"})
    hostile = io.BytesIO()
    with tarfile.open(fileobj=hostile, mode="w") as t:
        ti = tarfile.TarInfo("../../escaped")
        ti.size = 1
        t.addfile(ti, io.BytesIO(b"x"))
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": f"FROM busybox\nADD file://{repo}#v1:sub /g/\n"
                      "COPY --from=extra x.txt /x.txt\n",
        "bad/Dockerfile": "FROM busybox\nADD evil.tar /e/\n",
        "link/Dockerfile": "FROM busybox\nCOPY out /o\n",
    })
    build(teu, ctx, "--build-context", f"extra={extra}", "-t", "git:1")
    assert teu.ok("run", "--rm", "git:1", "cat", "/g/hello.txt", "/x.txt") == \
        "from git\nnamed context\n"
    (ctx / "bad" / "evil.tar").write_bytes(hostile.getvalue())
    p = build(teu, ctx / "bad", "-t", "evil:1", check=False)
    assert p.returncode == 1 and "ADD evil.tar" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "escaped").exists() and not (teu.root / "escaped").exists()
    os.symlink("/etc/shadow", ctx / "link" / "out")
    p = build(teu, ctx / "link", "-t", "link:1", check=False)
    assert p.returncode == 1 and "forbidden path outside the build context" in p.stderr


def test_python_api(teu, tmp_path) -> None:
    from teu.api import build as api

    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nARG V\nENV A=old C=c\n"
                                                 "ENV A=new B=$A\nRUN echo $V > /v\n"})
    r = api.build(str(ctx), tags=["api:1"], build_args={"V": "from api"},
                  root=str(teu.root), runroot=str(teu.runroot))
    assert r["image_id"] == teu.inspect("api:1")["Id"] and "RUN echo $V" in r["log"]
    assert teu.ok("run", "--rm", "api:1", "cat", "/v") == "from api\n"
    # ENV's values are expanded with the environment from before it; a key keeps its place.
    assert raw_config(teu, "api:1")["config"]["Env"][1:] == ["A=new", "C=c", "B=old"]
    from teu.errors import TeuError

    with pytest.raises(TeuError, match="unknown instruction: NOPE"):
        api.build(str(write(tmp_path / "bad", {"Dockerfile": "FROM busybox\nNOPE\n"})),
                  root=str(teu.root), runroot=str(teu.runroot))
    assert_clean(teu)


def test_only_needed_stages_are_built_and_independent_ones_overlap(teu, tmp_path) -> None:
    df = """\
FROM busybox AS unused
RUN exit 1
FROM busybox AS a
RUN cut -d' ' -f1 /proc/uptime > /start && sleep 3 && cut -d' ' -f1 /proc/uptime > /end
FROM busybox AS b
RUN cut -d' ' -f1 /proc/uptime > /start && sleep 3 && cut -d' ' -f1 /proc/uptime > /end
FROM busybox
COPY --from=a /start /a.start
COPY --from=a /end /a.end
COPY --from=b /start /b.start
COPY --from=b /end /b.end
"""
    ctx = write(tmp_path / "ctx", {"Dockerfile": df})
    p = build(teu, ctx, "-t", "par:1")
    assert "exit 1" not in p.stderr
    t = {k: float(teu.ok("run", "--rm", "par:1", "cat", f"/{k}"))
         for k in ("a.start", "a.end", "b.start", "b.end")}
    assert t["a.start"] < t["b.end"] and t["b.start"] < t["a.end"], t


def test_ssh_agent_forwarding(teu, tmp_path) -> None:
    import shutil

    if not shutil.which("ssh-agent"):
        pytest.fail("ssh-agent is missing: apt-get install openssh-client (deps list)")
    sock = tmp_path / "agent.sock"
    agent = subprocess.run(["ssh-agent", "-a", str(sock)], capture_output=True, text=True,
                           check=True)
    pid = int(agent.stdout.split("SSH_AGENT_PID=")[1].split(";")[0])
    try:
        ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN --mount=type=ssh "
                                                      "test -S \"$SSH_AUTH_SOCK\" && echo ok > /ssh\n"})
        p = build(teu, ctx, "--ssh", f"default={sock}", "-t", "ssh:1")
        assert teu.ok("run", "--rm", "ssh:1", "cat", "/ssh") == "ok\n", p.stderr
        p = build(teu, ctx, "--no-cache", "-t", "ssh:2", check=False)
        assert p.returncode != 0  # not forwarded: the socket is not there
    finally:
        os.kill(pid, signal.SIGTERM)


def test_live_view_on_a_terminal(teu, tmp_path) -> None:
    import fcntl
    import pty
    import select
    import struct
    import termios

    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo line-one; sleep 1; "
                                                 "echo line-two\nRUN exit 4\n"})
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = subprocess.Popen(teu.cmd("build", "-t", "tty:1", str(ctx)), env=teu.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    os.close(master)
    assert p.wait(timeout=60) == 1
    text = out.decode(errors="replace")
    assert "\x1b[J[+] Building" in text and "\x1b[" in text.split("[+] Building", 2)[2]
    assert " => > line-one" in text and "[2/3] RUN echo line-one" in text
    assert "did not complete successfully: exit code: 4" in text
    assert_clean(teu)
