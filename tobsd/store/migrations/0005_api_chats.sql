-- Chats added at runtime through the control API (tobsctl add), with their
-- options. Chats declared in the configuration file are not kept here: the
-- file stays their only source. A row goes with its chat.
CREATE TABLE api_chats (
    chat_id        INTEGER PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
    ref            TEXT    NOT NULL,          -- what the user typed, e.g. "@news"
    since          TEXT,                      -- YYYY-MM-DD or NULL: the whole history
    media          INTEGER NOT NULL DEFAULT 1 CHECK (media IN (0, 1)),
    remove_deleted INTEGER NOT NULL DEFAULT 0 CHECK (remove_deleted IN (0, 1)),
    added_at       INTEGER NOT NULL
) WITHOUT ROWID;
