-- Chats tobsd followed without a break: complete, and every update Telegram
-- sent for them since applied before the stored update state moved past it
-- (see tobsd/sync/followed.py). A restart whose catch-up reaches Telegram's
-- state again without a gap needs no history request for them. The rows
-- are taken (read and removed) on start and written again for each chat
-- that is followed in the new run, so a chat left out of a run, paused or
-- failed loses its row.
CREATE TABLE followed_chats (
    chat_id INTEGER PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE
) WITHOUT ROWID;
