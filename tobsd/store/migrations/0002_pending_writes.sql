-- Messages handed to the vault writer whose index rows are not committed
-- yet. A row lives from just before the notes are written until the
-- transaction that records the index rows. One left behind by a crash
-- says a note may hold the message although the index does not; if
-- Telegram then deletes the message, its date and topic are enough to
-- find the note and mark the block deleted.
CREATE TABLE pending_writes (
    chat_id  INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    msg_id   INTEGER NOT NULL,
    date     INTEGER NOT NULL,
    topic_id INTEGER,
    PRIMARY KEY (chat_id, msg_id)
) WITHOUT ROWID;
