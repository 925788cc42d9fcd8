"""One chat's trouble never stops the daemon: a real tobsd process given a
chat list that mixes good references with unknown, private and malformed
ones, and a server answering unexpected errors, syncs the good chats and
shows every other one in `error` with the reason."""
from __future__ import annotations

from fakegram.faults import FaultRule
from fakegram.testing import all_messages, small_world
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import by_message, scan


def chat_id(world, title) -> int:
    return next(c.id for c in world.chats() if c.title == title)


async def test_a_mixed_chat_list_syncs_the_good_chats_and_reports_the_rest(
        make_server, tmp_path):
    world = small_world(channel_posts=120)
    book_club = chat_id(world, "Book club")
    makers = chat_id(world, "Makers")
    refs = {
        "@news": ("live", None),
        "@bobstone": ("live", None),
        # A basic group by numeric id, from a server that does not answer
        # messages.getChats the way Telegram does.
        str(-book_club): ("error", "METHOD_NOT_SUPPORTED"),
        "-31337": ("error", "CHAT_ID_INVALID"),               # a basic group nobody has
        "@nobody_here": ("error", "USERNAME_NOT_OCCUPIED"),   # unknown
        "@makers": ("error", "CHANNEL_PRIVATE"),              # private: history refused
        "2002": ("error", "PEER_HISTORY_UNSUPPORTED"),       # history: an unexpected refusal
        "https://t.me/c/987654321": ("error", "not among this account's chats"),
        "No chat has this title": ("error", "no chat titled"),
        "99999999999999999999": ("error", "not a Telegram chat id"),              # no id is that long
    }
    async with make_server(world) as server:
        server.faults.add(FaultRule(error="METHOD_NOT_SUPPORTED", method="messages.getChats",
                                    nth=1))
        server.faults.add(FaultRule(error="CHANNEL_PRIVATE", method="messages.getHistory",
                                    peer_id=makers,
                                    times=None))
        server.faults.add(FaultRule(error="PEER_HISTORY_UNSUPPORTED", method="messages.getHistory",
                                    peer_id=chat_id(world, "Eve"), times=None))
        config = write_config(tmp_path, server, list(refs))
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_synced(len(refs), timeout=90)
            assert status["state"] == "running"
            assert tobsd.proc.poll() is None
        finally:
            assert await tobsd.terminate() == 0
    by_ref = {}
    for chat in status["chats"]:
        key = chat.get("ref") or {"News": "@news", "Bob Stone": "@bobstone",
                                  "Makers": "@makers", "Eve": "2002"}[chat["title"]]
        by_ref[key] = chat
    # The status names a reference as the configuration means it.
    shown = {"https://t.me/c/987654321": "-1000987654321",
             "No chat has this title": '"No chat has this title"'}
    assert set(by_ref) == {shown.get(ref, ref) for ref in refs}, status["chats"]
    for ref, (state, reason) in refs.items():
        chat = by_ref[shown.get(ref, ref)]
        assert chat["state"] == state, (ref, chat)
        if state == "error":
            assert chat["error"] and reason in chat["error"], (ref, chat)
    news = by_message([b for b in scan(tmp_path / "vault") if b.note.split("/")[1] == "News"])
    assert sorted(news) == sorted(m.id for m in all_messages(world, ("channel", chat_id(world, "News"))))
    assert all(len(blocks) == 1 for blocks in news.values())
