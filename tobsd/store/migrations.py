"""Numbered schema migrations: `migrations/NNNN_name.sql`, applied in order.

The schema version is SQLite's `PRAGMA user_version`. Each migration runs in
one transaction together with the user_version bump, so a crash mid-way
leaves the database at the previous version, never half-migrated. A database
whose version is above the newest migration known here was written by a newer
tobsd and is refused (`SchemaTooNewError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from tobsd.core.errors import SchemaTooNewError, StoreError

_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def known_migrations() -> list[Migration]:
    """The migrations shipped with this tobsd, by version; versions must run 1, 2, 3... with no gap."""
    folder = resources.files("tobsd.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME_RE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(f"migration {migration.name}: expected version {expected}")
    return found


def latest_version() -> int:
    migrations = known_migrations()
    return migrations[-1].version if migrations else 0


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def migrate(conn: aiosqlite.Connection, path: str) -> int:
    """Bring the database on `conn` (in autocommit mode) to the newest schema; returns its version."""
    migrations = known_migrations()
    latest = migrations[-1].version if migrations else 0
    current = await schema_version(conn)
    if current > latest:
        raise SchemaTooNewError(path, current, latest)
    for migration in migrations[current:]:
        # executescript runs the whole text; BEGIN/COMMIT make it one
        # transaction with the version bump (user_version is transactional).
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as e:
            if conn.in_transaction:
                await conn.rollback()
            raise StoreError(f"{path}: migration {migration.name} failed: {e}") from e
    return latest
