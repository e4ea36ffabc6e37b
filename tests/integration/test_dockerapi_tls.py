"""`teu system service` on tcp:// with TLS, as dockerd's --tlsverify: the docker CLI 28.2
with --tlsverify and a client certificate the CA signed gets through (a run's attach
too, hijacked over TLS); no certificate, or one of another CA, is refused. A non-loopback
address is refused without TLS and warned about with --tls alone. Certificates are made
by the test with `cryptography`; the service listens in a test host, on an address of
a veth there."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
import time
from pathlib import Path

import pytest
from tests.integration.dockerapi_helpers import DOCKER_CLI
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu

pytestmark = [pytest.mark.root, pytest.mark.peer]
ADDRESS = "10.123.45.1"


def _key():  # noqa: ANN202
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key, issuer_name: str, issuer_key, ca: bool = False,  # noqa: ANN001
          ips: tuple[str, ...] = (), client: bool = False):  # noqa: ANN202
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ips:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]), critical=False)
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert, key=None) -> None:  # noqa: ANN001
    from cryptography.hazmat.primitives import serialization

    path.mkdir(parents=True, exist_ok=True)
    (path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        (path / "key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))


def certificates(top: Path) -> dict[str, Path]:
    """ca/ (the CA), server/, client/ (signed by the CA), stranger/ (another CA's)."""
    ca_key, other_key = _key(), _key()
    ca = _cert("teu test CA", ca_key, "teu test CA", ca_key, ca=True)
    other = _cert("another CA", other_key, "another CA", other_key, ca=True)
    _write(top / "ca", ca)
    server_key, client_key, stranger_key = _key(), _key(), _key()
    _write(top / "server", _cert("server", server_key, "teu test CA", ca_key,
                                 ips=(ADDRESS, "127.0.0.1")), server_key)
    _write(top / "client", _cert("client", client_key, "teu test CA", ca_key, client=True),
           client_key)
    _write(top / "stranger", _cert("stranger", stranger_key, "another CA", other_key,
                                   client=True), stranger_key)
    (top / "other-ca").mkdir()
    (top / "other-ca" / "cert.pem").write_bytes((top / "stranger" / "cert.pem").read_bytes())
    del other
    return {k: top / k for k in ("ca", "server", "client", "stranger")}


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def _serve(t, *args: str) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen(t.cmd("system", "service", "--time", "0", *args), env=t.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(p: subprocess.Popen) -> str:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    assert p.stdout is not None
    return p.stdout.read().decode()


def test_tlsverify_as_dockerd(teu, tmp_path: Path) -> None:  # noqa: ANN001
    # an address off loopback, inside the test host (this kernel has no dummy links)
    teu.host.run("ip", "link", "add", "tls0", "type", "veth", "peer", "name", "tls1")
    teu.host.run("ip", "addr", "add", f"{ADDRESS}/24", "dev", "tls0")
    teu.host.run("ip", "link", "set", "tls0", "up")
    teu.host.run("ip", "link", "set", "tls1", "up")
    c = certificates(tmp_path / "certs")
    url = f"tcp://{ADDRESS}:2376"

    def docker(*args: str, who: str | None = "client") -> subprocess.CompletedProcess:
        tls = ["--tlsverify", "--tlscacert", str(c["ca"] / "cert.pem")]
        if who:
            tls += ["--tlscert", str(c[who] / "cert.pem"), "--tlskey", str(c[who] / "key.pem")]
        return subprocess.run([*teu.host.prefix(), DOCKER_CLI, "-H", url, *tls, *args],
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                              env={**teu.env, "DOCKER_CONFIG": str(tmp_path)})

    refused = subprocess.run(teu.cmd("system", "service", url), env=teu.env,
                             capture_output=True, timeout=30)
    assert refused.returncode != 0
    assert b"without TLS" in refused.stderr and b"Traceback" not in refused.stderr

    svc = _serve(teu, "--tlsverify", "--tlscacert", str(c["ca"] / "cert.pem"),
                 "--tlscert", str(c["server"] / "cert.pem"),
                 "--tlskey", str(c["server"] / "key.pem"), url)
    try:
        deadline = time.monotonic() + 30
        while docker("version").returncode and time.monotonic() < deadline:
            assert svc.poll() is None, _stop(svc)
            time.sleep(0.1)
        v = docker("version", "--format", "{{.Server.APIVersion}}")
        assert (v.returncode, v.stdout) == (0, b"1.47\n")
        run = docker("run", "--rm", "--network", "none", IMAGE, "echo", "over-tls")
        assert (run.returncode, run.stdout) == (0, b"over-tls\n")  # attach hijacked in TLS
        anonymous = docker("ps", who=None)
        # TLS 1.3: the client's handshake ends before the server has checked its (absent)
        # certificate, so the client has already sent its request when the server refuses:
        # it reads the server's "certificate required" alert, or, when the reset that the
        # unread request causes arrives first, only the reset (seen once under load 10).
        err = anonymous.stderr.lower()
        assert anonymous.returncode != 0 and anonymous.stdout == b"", err
        assert b"certificate" in err or b"connection reset by peer" in err, err
        assert docker("ps", who="stranger").returncode != 0
        assert svc.poll() is None  # refusals leave the service up
    finally:
        log = _stop(svc)
    assert "Traceback" not in log

    loose = _serve(teu, "--tls", "--tlscert", str(c["server"] / "cert.pem"),
                   "--tlskey", str(c["server"] / "key.pem"), url)
    try:
        deadline = time.monotonic() + 30
        while docker("version", who=None).returncode and time.monotonic() < deadline:
            assert loose.poll() is None, _stop(loose)
            time.sleep(0.1)
        assert docker("version", who=None).returncode == 0
    finally:
        log = _stop(loose)
    assert "WARNING" in log and "without --tlsverify" in log
