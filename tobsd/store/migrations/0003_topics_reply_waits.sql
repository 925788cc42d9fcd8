-- Forum topic titles as Telegram last reported them (topic lists and live
-- topic service messages). Folder names are chosen from them once, in the
-- vault; this table only keeps the titles current across restarts.
CREATE TABLE topics (
    chat_id  INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    topic_id INTEGER NOT NULL,
    title    TEXT    NOT NULL,
    PRIMARY KEY (chat_id, topic_id)
) WITHOUT ROWID;

-- Replies written without a link because the replied message was not in
-- the vault yet (a newest-first backfill writes replies before what they
-- reply to). Once target_id is indexed, the reply's block gets its link and
-- the row goes. Both notes are found through message_index.
CREATE TABLE reply_waits (
    chat_id   INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    target_id INTEGER NOT NULL,
    msg_id    INTEGER NOT NULL,
    PRIMARY KEY (chat_id, target_id, msg_id)
) WITHOUT ROWID;
