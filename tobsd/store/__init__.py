"""tobsd's state: SQLite (WAL, numbered migrations) plus a Bloom filter of applied messages."""

from tobsd.store.bloom import BloomFilter
from tobsd.store.changes import Changes
from tobsd.store.chats import ChatRow
from tobsd.store.cursors import Cursor
from tobsd.store.index import IndexEntry
from tobsd.store.shards import Shard
from tobsd.store.store import Store

__all__ = ["BloomFilter", "Changes", "ChatRow", "Cursor", "IndexEntry", "Shard", "Store"]
