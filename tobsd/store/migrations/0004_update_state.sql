-- The update state tobsd has applied: pts/qts/date/seq of the account's
-- common box (box 0) and the pts of each channel (box = the channel's
-- marked id). A row moves only in the transaction that follows the vault
-- and the index holding every change it covers, so a restart asks
-- Telegram for the difference from here and misses nothing.
CREATE TABLE update_state (
    box  INTEGER PRIMARY KEY,
    pts  INTEGER NOT NULL,
    qts  INTEGER NOT NULL DEFAULT 0,
    date INTEGER NOT NULL DEFAULT 0,
    seq  INTEGER NOT NULL DEFAULT 0
);
-- Chats whose changes outran Telegram's update log: the verification pass
-- walks their history down from `next_offset` (0: from the newest) and
-- compares it with the index; the row is removed when it reaches the end.
CREATE TABLE verify_pending (
    chat_id     INTEGER PRIMARY KEY,
    next_offset INTEGER NOT NULL DEFAULT 0,
    checked     INTEGER NOT NULL DEFAULT 0
);
