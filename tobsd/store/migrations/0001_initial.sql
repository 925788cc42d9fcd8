-- tobsd state, schema version 1.
-- Times are Unix epoch seconds (INTEGER, or REAL where sub-second matters).
-- Chat ids are Bot API "marked" ids: users positive, basic groups -N,
-- channels and supergroups -100N.

-- Small facts about this database: db_id (random, made once, so a Bloom file
-- from another database is never trusted) and index_generation (bumped by
-- every write of message_index rows; the Bloom file records the generation it
-- covers).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;

CREATE TABLE chats (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('user', 'bot', 'group', 'supergroup', 'channel', 'forum')),
    title        TEXT    NOT NULL DEFAULT '',
    username     TEXT,
    added_at     INTEGER NOT NULL,
    paused       INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    error        TEXT,                -- e.g. CHANNEL_PRIVATE; NULL while the chat is healthy
    error_at     INTEGER,
    needs_resync INTEGER NOT NULL DEFAULT 0 CHECK (needs_resync IN (0, 1))
);

-- How far a chat is synced. Everything in (min_backfilled_id, max_applied_id]
-- is applied; below min_backfilled_id the backfill shards say what is done.
CREATE TABLE cursors (
    chat_id           INTEGER PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
    max_applied_id    INTEGER NOT NULL DEFAULT 0,
    min_backfilled_id INTEGER,          -- NULL until the backfill has applied anything
    backfill_done     INTEGER NOT NULL DEFAULT 0 CHECK (backfill_done IN (0, 1)),
    updated_at        INTEGER NOT NULL
);

-- One id range of a backfill: ids lo_id <= id < hi_id, fetched downwards.
-- Every id in [next_offset, hi_id) is applied; the next request asks for
-- ids below next_offset. A crash resumes there.
CREATE TABLE backfill_shards (
    chat_id     INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    lo_id       INTEGER NOT NULL,
    hi_id       INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    PRIMARY KEY (chat_id, lo_id),
    CHECK (lo_id < hi_id)
) WITHOUT ROWID;

-- Note paths, stored once: many messages share one note.
CREATE TABLE notes (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);

-- Every message applied to the vault.
CREATE TABLE message_index (
    chat_id      INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    msg_id       INTEGER NOT NULL,
    date         INTEGER NOT NULL,
    edit_date    INTEGER,
    note_id      INTEGER NOT NULL REFERENCES notes(id),
    content_hash BLOB    NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    PRIMARY KEY (chat_id, msg_id)
) WITHOUT ROWID;

-- FloodWait deadlines, so a restart keeps honouring them.
-- key names what waits, e.g. "messages.getHistory@dc2".
CREATE TABLE flood_waits (
    key   TEXT PRIMARY KEY,
    until REAL NOT NULL
) WITHOUT ROWID;

