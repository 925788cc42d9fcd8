"""TelethonSource against fakegram: start, dialogs, resolve, history pages,
messages by id, needs-login and per-chat errors."""
from __future__ import annotations

import pytest

from fakegram.faults import FaultRule
from fakegram.testing import all_messages, chat_key
from tobsd.core.errors import ChatUnavailable, NeedsLogin
from tobsd.core.models import ChatKind
from tobsd.telegram.source import TelethonSource

from .conftest import BOB, FAST, ME, make_config


def world_ids(world, key) -> list[int]:
    return [m.id for m in all_messages(world, key)]


async def test_start_returns_the_logged_in_user(source):
    me = source._me
    assert (me.id, me.name, me.username) == (ME, "Ada Lovelace", "ada")
    status = source.status()
    assert status.connected and not status.needs_login


async def test_dialogs_list_every_chat_with_kinds(source, world):
    chats = await source.dialogs()
    by_title = {c.title: c for c in chats}
    assert set(by_title) == {"Bob Stone", "Eve", "Book club", "News"}
    assert by_title["News"].kind is ChatKind.CHANNEL
    assert by_title["News"].id == -(10**12 + chat_key(world, "News")[1])
    assert by_title["News"].link == "https://t.me/news"
    assert by_title["Book club"].kind is ChatKind.GROUP and by_title["Book club"].id < 0
    assert by_title["Bob Stone"].id == BOB and by_title["Bob Stone"].kind is ChatKind.USER


@pytest.mark.parametrize("ref", ["@news", "https://t.me/news", "t.me/news", "News",
                                 "t.me/c/{cid}", "-100{cid}", "t.me/c/{cid}/5"])
async def test_resolve_every_kind_of_reference(source, world, ref):
    cid = chat_key(world, "News")[1]
    chat = await source.resolve(ref.format(cid=cid))
    assert chat.id == -(10**12 + cid) and chat.title == "News"


async def test_resolve_numeric_ids_and_titles(source):
    assert (await source.resolve(BOB)).title == "Bob Stone"
    assert (await source.resolve("Book club")).kind is ChatKind.GROUP
    with pytest.raises(ChatUnavailable):
        await source.resolve("No such chat")
    with pytest.raises(ChatUnavailable):
        await source.resolve("@nobody_here")


async def test_history_pages_newest_first_cover_the_chat(source, world, server):
    chat = await source.resolve("@news")
    expected = world_ids(world, chat_key(world, "News"))
    got, offset = [], 0
    while True:
        page = await source.history(chat, offset_id=offset, limit=50)
        if not page.messages:
            break
        ids = [m.id for m in page.messages]
        assert ids == sorted(ids, reverse=True)
        assert page.count == len(expected)
        got += ids
        offset = ids[-1]
    assert got == expected
    page = await source.history(chat, min_id=expected[5], limit=100)
    assert [m.id for m in page.messages] == expected[:5]
    assert all(r["takeout"] for r in server.request_log(method="messages.getHistory"))


async def test_history_of_a_private_chat_is_only_that_chat(source, world):
    chat = await source.resolve(BOB)
    page = await source.history(chat, limit=100)
    assert [m.id for m in page.messages] == world_ids(world, ("user", BOB))
    assert {m.chat_id for m in page.messages} == {BOB}
    senders = {m.sender.id for m in page.messages}
    assert senders == {BOB, ME}


async def test_messages_by_id_none_for_missing_and_other_chats(source, world):
    news = await source.resolve("@news")
    got = await source.messages(news, [3, 999_999, 1])
    assert [m.id if m else None for m in got] == [3, None, 1]
    bob = await source.resolve(BOB)
    group_id = world_ids(world, chat_key(world, "Book club"))[0]
    bob_id = world_ids(world, ("user", BOB))[0]
    got = await source.messages(bob, [bob_id, group_id])
    assert got[0].id == bob_id and got[1] is None


async def test_channel_private_is_chat_unavailable(source, server, world):
    chat = await source.resolve("@news")
    server.faults.add(FaultRule(error="CHANNEL_PRIVATE", method="messages.getHistory"))
    with pytest.raises(ChatUnavailable):
        await source.history(chat)
    assert not source.status().needs_login


async def test_revoked_session_raises_needs_login_and_reports_it(source, server):
    chat = await source.resolve("@news")
    server.revoke_user_keys()
    with pytest.raises(NeedsLogin):
        await source.history(chat, offset_id=10)
    assert source.status().needs_login


async def test_start_without_login_raises_needs_login(server, tmp_path, flood_store):
    config = make_config(server, tmp_path, name="fresh.session")
    src = TelethonSource(config, flood_store, client_options=FAST)
    with pytest.raises(NeedsLogin):
        await src.start()
    assert src.status().needs_login
    await src.stop()


async def test_history_of_a_chat_known_only_from_the_store(source, world):
    """A restart takes chats from the store without resolving them; the
    session file may not hold their entities (a killed run never saved
    them). The source finds them in the dialogs."""
    from tobsd.core.models import Chat
    chat = Chat(id=BOB, kind=ChatKind.USER, title="Bob")
    page = await source.history(chat, limit=100)
    assert [m.id for m in page.messages] == world_ids(world, ("user", BOB))
