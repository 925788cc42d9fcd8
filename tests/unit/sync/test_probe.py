"""The verification pass's page size and the ids hash both sides compute."""
from __future__ import annotations

import random

from fakegram.tl.hashing import ids_hash as server_hash
from tobsd.sync.verify import page_size
from tobsd.telegram.hashing import ids_hash as client_hash


def test_unchanged_history_is_read_a_full_page_per_request():
    assert page_size(0, 0) == 100
    assert page_size(0, 50_000) == 100


def test_denser_changes_make_pages_smaller_and_never_below_twenty():
    sizes = [page_size(changes, 10_000) for changes in (0, 10, 50, 100, 1000)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 100 and sizes[1] < 100 and sizes[-1] == 20


def test_when_everything_changed_pages_are_large_again():
    # Every page comes whole anyway: fewer, larger requests cost least.
    assert page_size(10_000, 10_000) == 100


def test_tobsd_and_fakegram_compute_the_same_hash():
    rng = random.Random(5)
    for _ in range(200):
        ids = sorted(rng.sample(range(1, 2**31), rng.randrange(0, 101)), reverse=True)
        assert client_hash(ids) == server_hash(ids)
