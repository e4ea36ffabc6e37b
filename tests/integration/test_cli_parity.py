"""The command line as a docker 20.10 user meets it, on real containers: Go templates
in --format, ps filters, docker's exit codes and messages, json output, df -v, load.
Each assertion names the docker behaviour it pins."""

from __future__ import annotations

import json
import subprocess
import tempfile

import pytest
from tests.integration.engine_helpers import IMAGE, busybox_tar, private_dockerd, private_teu

from teu.testing.dockerd import DOCKER

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory):  # noqa: ANN001, ANN201
    """One dockerd for the module (a start is seconds): each test removes what it made."""
    yield from private_dockerd(tmp_path_factory.mktemp("dockerd"))


# Failures of one verb each on a missing container or image, as docker 20.10 says them.
MISSING = [["logs", "nosuch"], ["port", "nosuch"], ["top", "nosuch"], ["exec", "nosuch", "true"],
           ["attach", "nosuch"], ["commit", "nosuch", "img2"], ["diff", "nosuch"],
           ["export", "nosuch"], ["save", "nosuchimg"], ["wait", "nosuch"],
           ["stats", "--no-stream", "nosuch"], ["update", "--memory", "10m", "nosuch"],
           ["stop", "nosuch"], ["rm", "nosuch"], ["rmi", "nosuchimg"], ["pause", "nosuch"],
           ["unpause", "nosuch"], ["restart", "nosuch"], ["start", "nosuch"],
           ["rename", "nosuch", "x2"], ["container", "logs", "nosuch"],
           ["container", "inspect", "nosuch"], ["image", "inspect", "nosuchimg"],
           ["inspect", "nosuch"]]


def test_failed_verbs_say_error_as_docker_does(teu, dockerd) -> None:
    # docker's CLI prints `Error: msg` for what it finds itself and `Error response from
    # daemon: msg` for what dockerd refuses; teu has no daemon: `Error: msg` for both
    # (podman's words too), never `teu VERB: msg`. Exit codes are docker's.
    for args in MISSING:
        d, t = dockerd.docker(*args, check=False), teu(*args)
        want = d.stderr.decode().replace("Error response from daemon: ", "Error: ")
        assert (t.returncode, t.stderr) == (d.returncode, want), args
    # run: `docker: Error response from daemon: ...: exec: "x": ... not found ...: unknown.`
    d = dockerd.docker("run", "--rm", "--network", "none", IMAGE, "nosuchcmd", check=False)
    t = teu("run", "--rm", IMAGE, "nosuchcmd")
    assert t.returncode == d.returncode == 127
    # docker 20.10's CLI races its own wait against the failed start and now and then adds
    # `time=... level=error msg="error waiting for container: context canceled"`: a log
    # line of its own, not the message pinned here
    docker_err = "".join(line for line in d.stderr.decode().splitlines(keepends=True)
                         if "error waiting for container: context canceled" not in line)
    for prog, err in (("docker", docker_err), ("teu", t.stderr)):
        assert err.startswith(f"{prog}: Error") and err.endswith(".\n"), err
        assert 'exec: "nosuchcmd": executable file not found in $PATH' in err
        assert len(err.splitlines()) == 1


def read_a_little_and_leave(cmd: list[str], env: dict) -> tuple[int, bytes]:
    """Like `CMD | head -c 100`: read a little, close the pipe; (exit status, stderr)."""
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        assert p.stdout.read(100)
        p.stdout.close()
        code = p.wait(60)
        err.seek(0)
        return code, err.read()


def test_output_to_a_reader_that_left_ends_quietly(teu, dockerd) -> None:
    # docker's CLI (Go) is killed by SIGPIPE when the reader of its output leaves: no
    # "Broken pipe" message, status -13 (a shell says 141), whatever the verb streams.
    dockerd.docker("run", "--name", "lots", "--network", "none", IMAGE, "seq", "1", "200000")
    assert read_a_little_and_leave([DOCKER, "logs", "lots"], dockerd.env) == (-13, b"")
    dockerd.docker("rm", "-f", "lots")
    teu.ok("run", "--name", "lots", IMAGE, "seq", "1", "200000")
    teu.ok("run", "-d", "--name", "up", IMAGE, "sleep", "60")
    for args in (["logs", "lots"], ["logs", "-f", "lots"], ["exec", "up", "seq", "1", "999999"],
                 ["save", IMAGE], ["export", "lots"]):
        assert read_a_little_and_leave(teu.cmd(*args), teu.env) == (-13, b""), args
    # the same when it is stderr that nobody reads any more (`teu logs X 2>&1 | head`)
    teu.ok("run", "--name", "errs", IMAGE, "sh", "-c", "seq 1 200000 >&2")
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(teu.cmd("logs", "errs"), env=teu.env, stdout=out,
                             stderr=subprocess.PIPE)
        assert p.stderr.read(100)
        p.stderr.close()
        assert p.wait(60) == -13
    teu.ok("rm", "-f", "up", "lots", "errs")


def test_ctrl_c_heard_when_started_with_sigint_ignored(teu) -> None:
    # A background job of a script starts with SIGINT ignored; docker's CLI (Go's
    # signal.Notify) still stops on it: `logs -f` ends with 130 as after a Ctrl-C.
    import signal

    teu.ok("run", "-d", "--name", "up", IMAGE, "sh", "-c", "echo ready; sleep 60")
    p = subprocess.Popen(teu.cmd("logs", "-f", "up"), env=teu.env, stdout=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        assert p.wait(20) == 130
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    teu.ok("rm", "-f", "up")


def test_go_templates_on_ps_inspect_and_version(teu, tmp_path) -> None:
    teu.ok("create", "--name", "t1", "-l", "app=web", "-l", "tier=front", IMAGE, "true")
    teu.ok("create", "--name", "t2", IMAGE, "true")
    ps = lambda fmt: teu.ok("ps", "-a", "--format", fmt)  # noqa: E731
    # .Label "k" on ps rows; pipelines and docker's functions
    assert ps('{{.Names}}:{{.Label "app"}}:{{.Names | upper | printf "%q"}}').split() == \
        ['t2::"T2"', 't1:web:"T1"']
    assert ps('{{if eq .Names "t1"}}{{.Labels}}{{else}}-{{end}}').split() == \
        ["-", "app=web,tier=front"]
    # table: a header row from docker's header names, columns aligned by tabwriter
    table = ps("table {{.Names}}\\t{{.State}}").splitlines()
    assert table == ["NAMES     STATE", "t2        created", "t1        created"]
    # json: one object per line (docker's --format json)
    assert [json.loads(x)["Names"] for x in ps("json").splitlines()] == ["t2", "t1"]
    # inspect: variables, range over a map in key order, index, len, nested fields
    fmt = ("{{$n := .Name}}{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}"
           "{{len .Config.Labels}} {{index .Config.Labels \"app\"}} {{$n}} {{.State.Status}}")
    assert teu.ok("inspect", "-f", fmt, "t1") == "app=web;tier=front;2 web /t1 created\n"
    # a map's missing key is <no value>, as docker prints it
    assert teu.ok("inspect", "-f", "{{.Config.Labels.nope}}", "t1") == "<no value>\n"
    # images rows: .Label "k" (the image config's labels) and json
    tarball = tmp_path / "bb.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    teu.ok("import", "-c", "LABEL org.v=7", str(tarball), "labelled:1")
    assert teu.ok("images", "--format", '{{.Repository}}:{{.Tag}}:{{.Label "org.v"}}',
                  "labelled") == "labelled:1:7\n"
    assert json.loads(teu.ok("images", "--format", "json", "labelled"))["Tag"] == "1"
    # docker's image filters: label (every one must hold), before/since an image
    repos = lambda *f: teu.ok("images", "--format", "{{.Repository}}", *f).split()  # noqa: E731
    assert repos("-f", "label=org.v=7") == ["labelled"]
    assert repos("-f", "label=org.v", "-f", "label=other") == []
    assert repos("-f", f"since={IMAGE}") == ["labelled"]
    assert repos("-f", "before=labelled:1") == [IMAGE]
    p = teu("images", "-f", "bogus=1")
    assert p.returncode == 1 and "invalid filter 'bogus'" in p.stderr
    assert teu.ok("version", "--format", "{{.Server.Version}}") == \
        teu.ok("version", "--format", "{{.Client.Version}}")


def test_template_errors_fail_as_docker(teu) -> None:
    teu.ok("create", "--name", "e1", IMAGE, "true")
    # docker inspect: parse error exit 64, an unknown struct field exit 1 with the
    # message of its raw-JSON retry; never the template or <no value> on stdout
    p = teu("inspect", "-f", "{{.State.Status", "e1")
    assert (p.returncode, p.stdout, p.stderr) == (
        64, "", "template parsing error: template: :1: unclosed action\n")
    p = teu("inspect", "-f", "{{.State.Nope}}", "e1")
    assert p.returncode == 1 and p.stdout.strip() == ""
    assert p.stderr == ('template parsing error: template: :1:8: executing "" at '
                        '<.State.Nope>: map has no entry for key "Nope"\n')
    # docker ps checks the template on an empty row first: fails with nothing listed
    p = teu("ps", "-a", "--format", "{{.Foo}}")
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == ('failed to execute template: template: :1:2: executing "" at <.Foo>: '
                        "can't evaluate field Foo in type *formatter.ContainerContext\n")
    p = teu("ps", "--format", "{{nofunc .}}")
    assert p.returncode == 1
    assert p.stderr == 'failed to parse template: template: :1: function "nofunc" not defined\n'
    p = teu("images", "--format", "{{.Nope}}")
    assert p.returncode == 1 and p.stderr.startswith(
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate "
        "field Nope in type *formatter.imageContext")
    p = teu("version", "--format", "{{.Client.Version")
    assert p.returncode == 64
    assert p.stderr == "template parsing error: template: version:1: unclosed action\n"


def names(teu, *args: str) -> list[str]:  # noqa: ANN001
    return teu.ok("ps", "--format", "{{.Names}}", *args).split()


def test_ps_filters_like_docker(teu) -> None:
    teu.ok("run", "-d", "--name", "a1", "-l", "app=web", "-l", "tier=front", IMAGE,
           "sleep", "60")
    teu.ok("volume", "create", "vol1")
    assert teu("run", "--name", "b2", "-l", "app=db", "-v", "vol1:/data", IMAGE,
               "sh", "-c", "exit 3").returncode == 3
    teu.ok("create", "--name", "c3x", IMAGE, "true")
    a1 = teu.inspect("a1")["Id"]
    # name and id: regular expressions, unanchored; the name also with docker's "/"
    assert names(teu, "-a", "--filter", "name=^/a") == ["a1"]
    assert names(teu, "-a", "--filter", "name=[0-9]x$") == ["c3x"]
    assert names(teu, "-a", "--filter", "name=^b2$") == ["b2"]
    assert names(teu, "-a", "--filter", f"id={a1[:6]}") == ["a1"]
    # one key repeated: OR; different keys: AND
    assert names(teu, "-a", "--filter", "name=a1", "--filter", "name=b2") == ["b2", "a1"]
    assert names(teu, "-a", "--filter", "label=app", "--filter", "status=exited") == ["b2"]
    # label: key or key=value; docker requires every label filter to hold
    assert names(teu, "-a", "--filter", "label=app") == ["b2", "a1"]
    assert names(teu, "-a", "--filter", "label=app=web", "--filter", "label=tier") == ["a1"]
    assert names(teu, "-a", "--filter", "label=app=db", "--filter", "label=tier") == []
    # exited: containers that ran and stopped with that code (c3x never ran)
    assert names(teu, "-a", "--filter", "exited=3") == ["b2"]
    assert names(teu, "-a", "--filter", "exited=0") == []
    # status lists stopped containers even without -a
    assert names(teu, "--filter", "status=created") == ["c3x"]
    assert names(teu, "--filter", "status=running", "--filter", "status=exited") == \
        ["b2", "a1"]
    assert names(teu, "-a", "--filter", "before=c3x") == ["b2", "a1"]
    assert names(teu, "-a", "--filter", "since=a1") == ["c3x", "b2"]
    assert names(teu, "-a", "--filter", "volume=vol1") == ["b2"]
    assert names(teu, "-a", "--filter", "volume=/data") == ["b2"]
    assert names(teu, "-a", "--filter", f"ancestor={IMAGE}") == ["c3x", "b2", "a1"]
    assert names(teu, "-a", "--filter", "health=none") == ["c3x", "b2", "a1"]
    assert names(teu, "-a", "--filter", "network=none") == ["c3x", "b2", "a1"]
    # publish: the container's published ports; expose: its exposed ones (published too)
    teu.ok("create", "--name", "pe1", "--expose", "8080", IMAGE, "true")
    teu.ok("create", "--name", "pe2", "-p", "8081:80", IMAGE, "true")
    assert names(teu, "-a", "--filter", "publish=80") == ["pe2"]
    assert names(teu, "-a", "--filter", "publish=80/udp") == []
    assert names(teu, "-a", "--filter", "expose=8000-8080/tcp") == ["pe1"]
    assert names(teu, "-a", "--filter", "expose=80") == ["pe2"]
    teu.ok("rm", "pe1", "pe2")
    assert names(teu, "-a", "--filter", "is-task=false") == ["c3x", "b2", "a1"]
    assert names(teu, "-a", "--filter", "is-task=true") == []
    # Linux containers' isolation is "" in docker: `isolation=default` matches none
    assert names(teu, "-a", "--filter", "isolation=default") == []
    for bad, message in (("status=bogus", "invalid filter 'status=bogus'"),
                         ("bogus=1", "invalid filter 'bogus'"),
                         ("health=sick", "Unrecognised filter value for health: sick")):
        p = teu("ps", "--filter", bad)
        assert p.returncode == 1 and message in p.stderr, (bad, p.stderr)
    p = teu("ps", "--filter", "nokey")
    assert p.returncode == 125 and "bad format of filter (expected name=value)" in p.stderr


def test_exit_codes_and_messages_like_docker(teu) -> None:
    teu.ok("run", "-d", "--name", "up", IMAGE, "sleep", "60")

    def code(*args: str) -> int:
        return teu(*args).returncode

    # failures of verbs that run no command: 1
    for args in (["rm", "nosuch"], ["inspect", "nosuch"], ["stop", "nosuch"],
                 ["logs", "nosuch"], ["exec", "nosuch", "true"], ["volume", "rm", "nosuch"],
                 ["tag", "nosuch:1", "x:1"], ["kill", "nosuch"], ["wait", "nosuch"]):
        assert code(*args) == 1, args
    # rm -f of a missing container: said, and still exit 0
    p = teu("rm", "-f", "nosuch")
    assert (p.returncode, p.stderr) == (0, "Error: No such container: nosuch\n")
    # run/create: 125 for their own failures, 127/126 for the command
    assert code("run", "--rm", "--pull", "never", "nosuchimage") == 125
    assert code("create", "--pull", "never", "nosuchimage") == 125
    assert code("run", "--rm", IMAGE, "/nonexistent-command") == 127
    assert code("exec", "up", "/nonexistent-command") in (126, 127)
    # command-line errors: flags 125 (pflag), argument counts 1 (cobra)
    p = teu("rm", "--bogus", "x")
    assert (p.returncode, p.stderr) == (125, "unknown flag: --bogus\nSee 'teu rm --help'.\n")
    p = teu("images", "a", "b")
    assert p.returncode == 1 and p.stderr.startswith(
        '"teu images" requires at most 1 argument.\nSee \'teu images --help\'.\n\n'
        "Usage:  teu images [OPTIONS] [REPOSITORY[:TAG]]\n")
    p = teu("tag", "x")
    assert p.returncode == 1 and p.stderr.startswith('"teu tag" requires exactly 2 arguments.')
    # container inspect finds containers only, image inspect images only
    p = teu("container", "inspect", IMAGE)
    assert p.returncode == 1 and p.stderr == f"Error: No such container: {IMAGE}\n"
    p = teu("image", "inspect", "up")
    assert p.returncode == 1 and p.stderr == "Error: No such image: up\n"
    # -it with a stdin that is not a terminal (the test's stdin is /dev/null)
    p = teu("run", "--rm", "-it", IMAGE, "true")
    assert (p.returncode, p.stderr) == (1, "the input device is not a TTY\n")
    p = teu("exec", "-it", "up", "true")
    assert (p.returncode, p.stderr) == (1, "the input device is not a TTY\n")
    assert teu.rows() and len(teu.rows()) == 1  # the refused run made nothing
    teu.ok("rm", "-f", "up")


def test_volume_ls_json_df_verbose_and_quiet_load(teu, tmp_path) -> None:
    teu.ok("volume", "create", "--label", "k=v", "vj")
    teu.ok("create", "--name", "dfc", "-v", "vj:/d", IMAGE, "true")
    rows = [json.loads(x) for x in teu.ok("volume", "ls", "--format", "json").splitlines()]
    assert [(r["Name"], r["Driver"], r["Labels"]) for r in rows] == [("vj", "local", "k=v")]
    assert set(rows[0]) == {"Driver", "Labels", "Links", "Mountpoint", "Name", "Scope", "Size"}
    assert teu.ok("volume", "ls", "-q", "-f", "driver=local", "-f", "label=k=v") == "vj\n"
    out = teu.ok("system", "df", "-v")
    sections = ["Images space usage:", "Containers space usage:",
                "Local Volumes space usage:", "Build cache usage: 0B"]
    assert [line for line in out.splitlines() if line in sections] == sections
    lines = out.splitlines()
    images = lines[lines.index(sections[0]) + 2:]
    assert images[0].split()[:3] == ["REPOSITORY", "TAG", "IMAGE"]
    assert images[1].split()[0] == IMAGE and images[1].split()[-1] == "1"
    vols = lines[lines.index(sections[2]) + 2:]
    assert vols[1].split()[:2] == ["vj", "1"]
    assert any(line.split()[-1:] == ["dfc"] for line in lines[lines.index(sections[1]):])
    # load: docker is quiet when not on a terminal; only "Loaded image" lines
    tar = tmp_path / "img.tar"
    teu.ok("save", "-o", str(tar), IMAGE)
    teu.ok("rm", "-f", "dfc")
    teu.ok("rmi", IMAGE)
    p = teu("load", "-i", str(tar))
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout == f"Loaded image: {IMAGE}:latest\n"
