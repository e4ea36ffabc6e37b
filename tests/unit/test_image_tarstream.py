"""teu's tar stream reader agrees with tarfile on every format layers come in."""

from __future__ import annotations

import io
import tarfile

import pytest

from teu.image.errors import LayerError
from teu.image.tarstream import TarStream

LONG = "d" * 60 + "/" + "e" * 60 + "/" + "f" * 80 + ".txt"
LONG_USTAR = "d" * 60 + "/" + "f" * 90  # fits ustar's prefix + name


def archive(fmt: int) -> bytes:
    ustar = fmt == tarfile.USTAR_FORMAT
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        def add(name, kind=tarfile.REGTYPE, data=b"", **kw):
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            for k, v in kw.items():
                setattr(ti, k, v)
            t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        add("dir/", tarfile.DIRTYPE, mode=0o755, mtime=1_700_000_000)
        add("dir/small", data=b"hello", mode=0o4755, uid=1000, gid=1001)
        add("dir/empty", data=b"")
        add("big", data=bytes(range(256)) * 9000)
        add(LONG_USTAR if ustar else LONG, data=b"long name")
        add("link", tarfile.SYMTYPE, linkname="/" + "t" * (50 if ustar else 150))
        add("hard", tarfile.LNKTYPE, linkname="dir/small")
        add("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
        add("fifo", tarfile.FIFOTYPE)
        if not ustar:
            add("bigid", data=b"x", uid=3_000_000, gid=2_500_000)
            add("héllo wörld", data=b"unicode")
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_agrees_with_tarfile(fmt):
    data = archive(fmt)
    theirs = list(tarfile.open(fileobj=io.BytesIO(data)))
    ts = TarStream(io.BytesIO(data))
    ours = []
    contents = {}
    for e in ts:
        ours.append(e)
        if e.isreg():
            contents[e.name] = b"".join(bytes(v) for v in ts.chunks())
    assert [e.name.rstrip("/") for e in ours] == [t.name.rstrip("/") for t in theirs]
    t = tarfile.open(fileobj=io.BytesIO(data))
    for a, b in zip(ours, theirs, strict=True):
        assert (a.mode, a.uid, a.gid, int(a.mtime), a.linkname, a.isreg(), a.isdir(),
                a.issym(), a.islnk(), a.ischr(), a.isfifo()) == \
            (b.mode, b.uid, b.gid, int(b.mtime), b.linkname, b.isreg(), b.isdir(),
             b.issym(), b.islnk(), b.ischr(), b.isfifo()), b.name
        if b.ischr():
            assert (a.devmajor, a.devminor) == (1, 3)
        if b.isreg():
            assert contents[a.name] == t.extractfile(b).read()
    assert ts.eof


def test_pax_xattrs_and_mtime():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("f")
        ti.pax_headers = {"SCHILY.xattr.user.a": "1", "mtime": "1700000000.5"}
        t.addfile(ti, io.BytesIO(b""))
    [e] = list(TarStream(io.BytesIO(buf.getvalue())))
    assert e.pax_headers["SCHILY.xattr.user.a"] == "1" and e.mtime == 1700000000.5


def test_corrupt_truncated_and_sparse():
    data = bytearray(archive(tarfile.PAX_FORMAT))
    bad = bytes(data[:148]) + b"0000000\0" + bytes(data[156:])
    with pytest.raises(LayerError, match="checksum"):
        list(TarStream(io.BytesIO(bad)))
    with pytest.raises(LayerError, match="end of data"):
        ts = TarStream(io.BytesIO(bytes(data[:4000])))
        for e in ts:
            if e.isreg():
                for _ in ts.chunks():
                    pass
    sparse = io.BytesIO()
    with tarfile.open(fileobj=sparse, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("s")
        ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
        t.addfile(ti, io.BytesIO(b""))
    with pytest.raises(LayerError, match="sparse"):
        list(TarStream(io.BytesIO(sparse.getvalue())))
    # A stream that ends right after a member, without end-of-archive blocks: accepted.
    one = io.BytesIO()
    with tarfile.open(fileobj=one, mode="w") as t:
        ti = tarfile.TarInfo("a")
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"abc"))
    cut = one.getvalue()[:1024]
    ts = TarStream(io.BytesIO(cut))
    names = []
    for e in ts:
        names.append(e.name)
        assert b"".join(bytes(v) for v in ts.chunks()) == b"abc"
    assert names == ["a"]
