import json
import subprocess
import sys

from teu.cli.main import main
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.registry.server.gc import collect
from teu.registry.server.storage.filesystem import FilesystemStorage


def _upload(s, repo, data):
    uid = s.new_upload(repo)
    w = s.open_upload(repo, uid)
    w.write(data)
    w.close()
    dg = D.compute(data)
    s.commit_upload(repo, uid, dg)
    return dg


def test_gc_mark_and_sweep(tmp_path):
    s = FilesystemStorage(str(tmp_path))
    cfg = _upload(s, "r", b"cfg")
    layer = _upload(s, "r", b"layer")
    orphan = _upload(s, "r", b"orphan")
    m = json.dumps({"schemaVersion": 2, "config": {"mediaType": MT.OCI_CONFIG, "digest": cfg, "size": 3},
                    "layers": [{"mediaType": MT.OCI_LAYER, "digest": layer, "size": 5}]}).encode()
    s.put_manifest("r", D.compute(m), MT.OCI_MANIFEST, m, "v1")
    young = collect(s, dry_run=False, grace=3600)
    assert young.deleted == [] and orphan in young.kept_young
    dry = collect(s, dry_run=True, grace=0)
    assert dry.deleted == [orphan] and s.blob_size(orphan) == 6
    done = collect(s, grace=0)
    assert done.deleted == [orphan] and s.blob_size(orphan) is None
    assert not s.repo_has_blob("r", orphan) and done.links_removed == 1
    assert s.repo_has_blob("r", layer) and s.get_manifest("r", "v1") is not None


def test_cli_usage_errors(capsys):
    # docker's conventions: a group without a command prints its usage (exit 0), a bad
    # flag is 125 with pflag's two lines, an unknown command and a failure are 1.
    assert main(["registry"]) == 0
    capsys.readouterr()
    assert main(["registry", "serve", "--bogus"]) == 125
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 2
    assert err.startswith("unknown flag: --bogus\nSee 'teu registry serve --help'.")
    assert main(["nope"]) == 1
    assert main(["registry", "gc", "--root", "/nonexistent/x"]) == 1


def test_cli_gc_dry_run(tmp_path, capsys):
    s = FilesystemStorage(str(tmp_path))
    orphan = _upload(s, "r", b"orphan")
    assert main(["registry", "gc", "--root", str(tmp_path), "--dry-run", "--grace", "0"]) == 0
    assert f"would delete {orphan}" in capsys.readouterr().out
    assert s.blob_size(orphan) == 6


def test_teu_version_stays_light():
    code = "import sys, teu.cli.main as m; m.main(['version']); " \
           "print(sorted(k for k in ('uvicorn','asyncio','teu.registry') if k in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("[]")


def test_bad_addr_is_usage_error(tmp_path, capsys):
    assert main(["registry", "serve", "--root", str(tmp_path), "--addr", "nope"]) == 125
    assert main(["registry", "serve", "--root", str(tmp_path), "--tls-cert", "x"]) == 125


def test_gc_delete_untagged_keeps_referrers_and_index_children(tmp_path):
    s = FilesystemStorage(str(tmp_path))
    cfg = _upload(s, "r", b"cfg")

    def manifest(layer_data: bytes, tag=None, subject=None):
        layer = _upload(s, "r", layer_data)
        doc = {"schemaVersion": 2, "config": {"mediaType": MT.OCI_CONFIG, "digest": cfg, "size": 3},
               "layers": [{"mediaType": MT.OCI_LAYER, "digest": layer, "size": len(layer_data)}]}
        desc = None
        if subject:
            doc["subject"] = {"mediaType": MT.OCI_MANIFEST, "digest": subject, "size": 1}
        body = json.dumps(doc).encode()
        dg = D.compute(body)
        if subject:
            desc = {"mediaType": MT.OCI_MANIFEST, "digest": dg, "size": len(body)}
        s.put_manifest("r", dg, MT.OCI_MANIFEST, body, tag, subject, desc)
        return dg, layer

    child, child_layer = manifest(b"child")
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": MT.OCI_MANIFEST, "digest": child, "size": 1}]}).encode()
    s.put_manifest("r", D.compute(index), MT.OCI_INDEX, index, "multi")
    tagged, _ = manifest(b"tagged", tag="v1")
    sig, _ = manifest(b"sig", subject=tagged)
    old, old_layer = manifest(b"old")
    dry = collect(s, dry_run=True, grace=0, delete_untagged=True)
    assert dry.untagged_removed == [("r", old)] and old_layer in dry.deleted
    assert s.get_manifest("r", old) is not None
    done = collect(s, grace=0, delete_untagged=True)
    assert done.untagged_removed == [("r", old)]
    assert s.get_manifest("r", old) is None and s.blob_size(old_layer) is None
    for kept in (child, tagged, sig):
        assert s.get_manifest("r", kept) is not None
    assert s.blob_size(child_layer) is not None
