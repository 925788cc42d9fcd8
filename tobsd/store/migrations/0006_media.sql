-- Media downloads (tobsd/media). One row per message with a downloadable
-- file, and one per stored copy of a content: a file forwarded to many chats
-- is stored once and every message's row names the same copy.
CREATE TABLE media_files (
    sha256      BLOB    PRIMARY KEY,             -- SHA-256 of the content
    path        TEXT    NOT NULL UNIQUE,         -- vault-relative POSIX path of the copy
    size        INTEGER NOT NULL,
    processed   INTEGER NOT NULL DEFAULT 0,      -- the processor has seen it
    derived     TEXT    NOT NULL DEFAULT '',     -- "role\tpath" lines it wrote
    transcript  TEXT
) WITHOUT ROWID;

CREATE TABLE media_items (
    chat_id    INTEGER NOT NULL,
    msg_id     INTEGER NOT NULL,
    file_id    TEXT    NOT NULL,                 -- the Telegram layer's id to fetch it by
    tg_key     TEXT,                             -- Telegram's identity of the content
    kind       TEXT    NOT NULL,
    size       INTEGER,
    mime       TEXT,
    file_name  TEXT,
    path       TEXT    NOT NULL,                 -- where the note's embed points
    state      TEXT    NOT NULL CHECK (state IN ('queued', 'done', 'failed', 'skipped', 'budget', 'gone')),
    sha256     BLOB,                             -- media_files row once done
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_try   REAL    NOT NULL DEFAULT 0,
    error      TEXT,
    shown      INTEGER NOT NULL DEFAULT 0,       -- the note shows this state already
    PRIMARY KEY (chat_id, msg_id)
) WITHOUT ROWID;
CREATE INDEX media_items_key ON media_items (tg_key);
CREATE INDEX media_items_sha ON media_items (sha256);
CREATE INDEX media_items_due ON media_items (state, next_try);
