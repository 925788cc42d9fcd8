-- Batches handed to the vault writer whose index rows are not committed
-- yet. A row lives from just before the notes are written until the
-- transaction that records the index rows. One left behind by a crash
-- says a note may hold those messages although the index does not; if
-- Telegram then deletes one, its date and topic are enough to find the
-- note and mark the block deleted. `messages` is a msgpack list of
-- [msg_id, date, topic_id]: one row per batch keeps this off the hot path.
CREATE TABLE pending_writes (
    id       INTEGER PRIMARY KEY,
    chat_id  INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    messages BLOB    NOT NULL
);
CREATE INDEX pending_writes_chat ON pending_writes (chat_id);
