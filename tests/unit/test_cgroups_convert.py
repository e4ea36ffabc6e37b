"""v1-shaped spec values to v2 files: the formulas runc and crun share."""

from __future__ import annotations

import pytest

from teu.runtime.cgroups import CgroupError
from teu.runtime.cgroups.convert import (
    blkio_weight_to_io_weight,
    cpu_max,
    hugepage_size,
    max_or,
    shares_to_weight,
    swap_v2,
)


@pytest.mark.parametrize("shares, weight", [
    (2, 1), (1024, 39), (262144, 10000), (512, 20), (1, 1), (10**9, 10000), (0, 0),
])
def test_shares_to_weight(shares: int, weight: int) -> None:
    assert shares_to_weight(shares) == weight


@pytest.mark.parametrize("blkio, io", [(10, 1), (1000, 10000), (500, 4950), (0, 0)])
def test_blkio_weight(blkio: int, io: int) -> None:
    assert blkio_weight_to_io_weight(blkio) == io


@pytest.mark.parametrize("swap, memory, want", [
    (0, 0, 0),
    (-1, 100, -1),
    (0, -1, -1),          # unlimited memory, swap unset: both unlimited
    (300, 100, 200),
    (100, 100, 0),        # memory+swap == memory: no swap at all
    (0, 100, 0),
])
def test_swap_v2(swap: int, memory: int, want: int) -> None:
    assert swap_v2(swap, memory) == want


@pytest.mark.parametrize("swap, memory", [(300, 0), (300, -1), (50, 100)])
def test_swap_v2_refuses(swap: int, memory: int) -> None:
    with pytest.raises(CgroupError):
        swap_v2(swap, memory)


def test_cpu_max_keeps_what_is_not_given() -> None:
    assert cpu_max(50000, 100000, "max 100000") == "50000 100000"
    assert cpu_max(None, 200000, "20000 100000") == "20000 200000"
    assert cpu_max(-1, None, "20000 100000") == "max 100000"
    assert cpu_max(30000, None, "") == "30000 100000"


def test_max_or() -> None:
    assert max_or(-1) == "max" and max_or(5) == "5"


@pytest.mark.parametrize("given, want", [
    ("2MB", "2MB"), ("1GB", "1GB"), ("64KB", "64KB"), ("2048kB", "2MB"), ("1024MB", "1GB"),
    ("2M", "2MB"), ("2MiB", "2MB"),
])
def test_hugepage_size(given: str, want: str) -> None:
    assert hugepage_size(given) == want


@pytest.mark.parametrize("bad", ["", "MB", "2XB", "1.5MB", "100B"])
def test_hugepage_size_refuses(bad: str) -> None:
    with pytest.raises(CgroupError):
        hugepage_size(bad)
