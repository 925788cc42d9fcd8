"""The Bloom filter itself: no false negatives, the promised false-positive rate, the file format."""

from __future__ import annotations

import math

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tobsd.store.bloom import BloomFileError, BloomFilter

ids = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(ids, ids), max_size=300), st.sampled_from([0.1, 0.01, 0.001]))
def test_no_false_negatives_ever(pairs, rate):
    bloom = BloomFilter.for_capacity(max(1, len(pairs) // 3), rate)  # even when overfilled
    bloom.add_many(pairs)
    assert all(bloom.might_contain(c, m) for c, m in pairs)
    restored, _ = BloomFilter.from_bytes(bloom.to_bytes(None))
    assert all((c, m) in restored for c, m in pairs)


def test_sizing_follows_the_formula():
    bloom = BloomFilter.for_capacity(50_000_000, 0.001)
    assert bloom.k == 10
    assert bloom.m == pytest.approx(50_000_000 * -math.log(0.001) / math.log(2) ** 2, rel=1e-6)
    assert 85 < len(bloom.bits) / 2**20 < 87  # MiB
    assert len(BloomFilter.for_capacity(1_000_000, 0.001).bits) < 2 * 2**20


def test_false_positive_rate_within_one_and_a_half_times_the_target():
    n, rate = 200_000, 0.001
    bloom = BloomFilter.for_capacity(n, rate)
    bloom.add_many((7, i) for i in range(n))
    assert bloom.count == pytest.approx(n, rel=0.001)  # distinct-add estimate
    assert bloom.estimated_fp_rate() == pytest.approx(rate, rel=0.1)
    # Non-members from two kinds of neighbourhood: another chat, and higher ids in this one.
    probes = [(8, i) for i in range(n // 2)] + [(7, i) for i in range(n, n + n // 2)]
    false_positives = sum(bloom.might_contain(c, m) for c, m in probes)
    assert false_positives / len(probes) <= 1.5 * rate
    assert not bloom.is_full()
    before = bloom.count
    bloom.add(9, 9)
    assert bloom.count in (before, before + 1)  # one more, unless all its bits were already set


def test_count_does_not_grow_on_repeats():
    bloom = BloomFilter.for_capacity(10, 0.01)
    for _ in range(5):
        bloom.add(1, 2)
    assert bloom.count == 1
    bloom.add_many([(1, i) for i in range(11)])
    assert bloom.count >= 10 and bloom.is_full()


def test_bytes_round_trip_keeps_everything():
    bloom = BloomFilter.for_capacity(1000, 0.01)
    bloom.add_many((1, i) for i in range(500))
    restored, fingerprint = BloomFilter.from_bytes(bloom.to_bytes(["abc", 42]))
    assert fingerprint == ["abc", 42]
    assert (restored.m, restored.k, restored.count, restored.capacity, restored.fp_rate, restored.bits) == \
        (bloom.m, bloom.k, bloom.count, bloom.capacity, bloom.fp_rate, bloom.bits)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "wrong_format", "wrong_version"])
def test_damaged_bytes_are_refused(damage):
    bloom = BloomFilter.for_capacity(1000, 0.01)
    bloom.add_many((1, i) for i in range(100))
    data = bytearray(bloom.to_bytes([1, 2]))
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[-10] ^= 0x01  # inside the bits: only the checksum can tell
    elif damage == "garbage":
        data = bytearray(b"\xc1" * 100)
    elif damage == "empty":
        data = bytearray()
    else:
        doc = msgpack.unpackb(bytes(data))
        doc["format" if damage == "wrong_format" else "version"] = "other" if damage == "wrong_format" else 99
        data = bytearray(msgpack.packb(doc))
    with pytest.raises(BloomFileError):
        BloomFilter.from_bytes(bytes(data))


def test_save_is_atomic_and_load_reads_it_back(tmp_path):
    path = tmp_path / "applied.bloom"
    bloom = BloomFilter.for_capacity(100, 0.01)
    bloom.add(3, 4)
    bloom.save(path, ["x", 1])
    bloom.add(5, 6)
    bloom.save(path, ["x", 2])
    loaded, fingerprint = BloomFilter.load(path)
    assert fingerprint == ["x", 2] and loaded.might_contain(5, 6)
    assert [p.name for p in tmp_path.iterdir()] == ["applied.bloom"]  # no temp file left behind
    with pytest.raises(BloomFileError, match="cannot read"):
        BloomFilter.load(tmp_path / "missing.bloom")


def test_invalid_parameters():
    for capacity, rate in ((0, 0.01), (10, 0.0), (10, 1.0)):
        with pytest.raises(ValueError):
            BloomFilter.for_capacity(capacity, rate)
