"""Dialogs, history, messages by id, chats, users, topics and usernames."""
from __future__ import annotations

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from fakegram.rpc import RpcError
from fakegram.tl.build import get_request, make
from fakegram.tl.testkit import BOB, EVE, ME, HandlerKit, sample_world
from fakegram.world import WorldBuilder


def roundtrip(obj):
    assert BinaryReader(bytes(obj)).tgread_object() == obj
    return obj


async def expect(kit, request, code, message):
    with pytest.raises(RpcError) as info:
        await kit.call(request)
    assert (info.value.code, info.value.message) == (code, message)


def paging_world():
    """15 private chats, an archived one, a channel with 250 posts."""
    b = WorldBuilder(seed=3)
    for i in range(15):
        u = b.user(id=3000 + i, first_name=f"U{i}")
        chat = b.private(u)
        for j in range(3):
            b.message(chat, f"hi {i}.{j}", from_id=u.id if j % 2 else ME)
    news = b.channel("News", username="newsroom")
    for i in range(250):
        b.message(news, f"post {i}")
    world = b.build()
    world.chat(("user", 3000)).archived = True
    world.chat(("user", 3004)).pinned = True
    world.chat(("user", 3009)).pinned = True
    return world


@pytest.fixture(scope="module")
def world():
    return paging_world()


@pytest.fixture(scope="module")
def sample():
    return sample_world()


def history(peer, offset_id=0, limit=100, add_offset=0, max_id=0, min_id=0, offset_date=None):
    return functions.messages.GetHistoryRequest(peer, offset_id, offset_date, add_offset, limit,
                                                max_id, min_id, 0)


def news_peer(world):
    info = world.chat(world.resolve_username("newsroom"))
    return types.InputPeerChannel(info.id, info.access_hash), info


async def test_channel_history_pages(world):
    kit = HandlerKit(world)
    peer, info = news_peer(world)
    first = roundtrip(await kit.call(history(peer, limit=100)))
    assert isinstance(first, types.messages.ChannelMessages)
    assert first.count == world.count(info.key) == 251
    assert first.pts == world.channel_pts(info.key)
    ids = [m.id for m in first.messages]
    assert ids == sorted(ids, reverse=True) and len(ids) == 100
    seen = list(ids)
    while True:
        page = await kit.call(history(peer, offset_id=seen[-1], limit=100))
        if not page.messages:
            break
        seen += [m.id for m in page.messages]
    assert seen == list(range(251, 0, -1))
    assert [c.id for c in first.chats] == [info.id]
    small = await kit.call(history(peer, offset_id=10, add_offset=-3, limit=5))
    assert [m.id for m in small.messages] == [12, 11, 10, 9, 8]
    ranged = await kit.call(history(peer, offset_id=50, limit=100, min_id=40))
    assert [m.id for m in ranged.messages] == list(range(49, 40, -1))
    capped = await kit.call(history(peer, limit=500))
    assert len(capped.messages) == 100


async def test_private_history_messages_or_slice(world):
    kit = HandlerKit(world)
    u = world.users[3001]
    peer = types.InputPeerUser(u.id, u.access_hash)
    whole = roundtrip(await kit.call(history(peer)))
    assert isinstance(whole, types.messages.Messages) and len(whole.messages) == 3
    assert {x.id for x in whole.users} == {ME, u.id}
    part = await kit.call(history(peer, limit=2))
    assert isinstance(part, types.messages.MessagesSlice) and part.count == 3
    assert len(part.messages) == 2


async def test_peer_errors(world):
    kit = HandlerKit(world)
    peer, info = news_peer(world)
    u = world.users[3001]
    await expect(kit, history(types.InputPeerUser(u.id, u.access_hash + 1)), 400, "PEER_ID_INVALID")
    await expect(kit, history(types.InputPeerUser(999999, 0)), 400, "PEER_ID_INVALID")
    await expect(kit, history(types.InputPeerChat(424242)), 400, "PEER_ID_INVALID")
    await expect(kit, history(types.InputPeerChannel(info.id, info.access_hash ^ 1)),
                 400, "CHANNEL_INVALID")
    await expect(kit, history(types.InputPeerEmpty()), 400, "PEER_ID_INVALID")
    await expect(kit, functions.channels.GetFullChannelRequest(
        types.InputChannel(info.id, 1)), 400, "CHANNEL_INVALID")


@pytest.mark.parametrize("limit", [2, 5, 7])
async def test_dialog_pages_like_telethon_iterates_them(world, limit):
    """Page with the offsets Telethon's iter_dialogs sends (excluding pinned
    dialogs after the first page) and see every dialog exactly once, pinned
    ones first."""
    kit = HandlerKit(world)
    req = functions.messages.GetDialogsRequest(None, 0, types.InputPeerEmpty(), limit, 0)
    seen, total = [], None
    while True:
        page = roundtrip(await kit.call(req))
        if isinstance(page, types.messages.DialogsSlice):
            total = page.count
        messages = {(bytes(m.peer_id), m.id): m for m in page.messages}
        seen += [d.peer for d in page.dialogs]
        for d in page.dialogs:
            assert (bytes(d.peer), d.top_message) in messages
        if len(page.dialogs) < req.limit or not isinstance(page, types.messages.DialogsSlice):
            break
        last = page.dialogs[-1]
        top = messages[(bytes(last.peer), last.top_message)]
        peer_id = getattr(last.peer, "user_id", None) or getattr(last.peer, "channel_id", None)
        entity = next(x for x in page.users + page.chats if x.id == peer_id)
        if isinstance(entity, types.User):
            offset_peer = types.InputPeerUser(entity.id, entity.access_hash)
        else:
            offset_peer = types.InputPeerChannel(entity.id, entity.access_hash)
        req = functions.messages.GetDialogsRequest(top.date, top.id, offset_peer, limit, 0,
                                                   exclude_pinned=True)
    assert total == 16 == len(seen) == len(set(map(bytes, seen)))
    assert set(map(bytes, seen[:2])) == {bytes(types.PeerUser(3004)), bytes(types.PeerUser(3009))}
    assert seen[2] == types.PeerChannel(news_peer(world)[1].id)   # then the newest post


async def test_dialog_fields_and_folders(world):
    kit = HandlerKit(world)
    everything = await kit.call(functions.messages.GetDialogsRequest(
        None, 0, types.InputPeerEmpty(), 100, 0))
    assert isinstance(everything, types.messages.Dialogs) and len(everything.dialogs) == 16
    by_peer = {bytes(d.peer): d for d in everything.dialogs}
    peer, info = news_peer(world)
    news = by_peer[bytes(types.PeerChannel(info.id))]
    assert news.pts == world.channel_pts(info.key) and news.top_message == 251
    assert news.read_inbox_max_id == 251 and news.unread_count == 0
    assert by_peer[bytes(types.PeerUser(3000))].folder_id == 1
    archived = await kit.call(functions.messages.GetDialogsRequest(
        None, 0, types.InputPeerEmpty(), 100, 0, folder_id=1))
    assert [d.peer for d in archived.dialogs] == [types.PeerUser(3000)]
    main = await kit.call(functions.messages.GetDialogsRequest(
        None, 0, types.InputPeerEmpty(), 100, 0, folder_id=0))
    assert len(main.dialogs) == 15


async def test_messages_by_id(sample):
    kit = HandlerKit(sample)
    bob = sample.chat(("user", BOB))
    page = sample.get_history(bob.key, limit=3)
    ids = [m.id for m in page.messages]
    got = roundtrip(await kit.call(functions.messages.GetMessagesRequest(
        [types.InputMessageID(i) for i in ids] + [types.InputMessageID(10**6)])))
    assert [m.id for m in got.messages] == ids + [10**6]
    assert isinstance(got.messages[-1], types.MessageEmpty)
    news = next(i for i in sample.chats() if i.kind == "channel")
    got = roundtrip(await kit.call(functions.channels.GetMessagesRequest(
        types.InputChannel(news.id, news.access_hash),
        [types.InputMessageID(2), types.InputMessageID(9999), types.InputMessageID(3)])))
    assert [type(m).__name__ for m in got.messages] == ["Message", "MessageEmpty", "Message"]
    assert [m.id for m in got.messages] == [2, 9999, 3]
    ranges = await kit.call(functions.messages.GetSplitRangesRequest())
    assert [(r.min_id, r.max_id) for r in ranges] == sample.split_ranges()


async def test_full_chat_channel_and_users(sample):
    kit = HandlerKit(sample)
    group = next(i for i in sample.chats() if i.kind == "group")
    full = roundtrip(await kit.call(functions.messages.GetFullChatRequest(group.id)))
    parts = full.full_chat.participants.participants
    assert isinstance(parts[0], types.ChatParticipantCreator) and parts[0].user_id == ME
    assert {p.user_id for p in parts} == {ME, BOB, EVE}
    await expect(kit, functions.messages.GetFullChatRequest(777), 400, "CHAT_ID_INVALID")
    news = next(i for i in sample.chats() if i.kind == "channel")
    channel = types.InputChannel(news.id, news.access_hash)
    full = roundtrip(await kit.call(functions.channels.GetFullChannelRequest(channel)))
    assert full.full_chat.pts == sample.channel_pts(news.key)
    assert full.full_chat.about == "All the news" and full.chats[0].broadcast
    chats = await kit.call(functions.channels.GetChannelsRequest([channel]))
    assert [c.id for c in chats.chats] == [news.id]
    users = await kit.call(functions.users.GetUsersRequest([
        types.InputUserSelf(), types.InputUser(BOB, sample.users[BOB].access_hash),
        types.InputUser(BOB, 1)]))
    assert [u.id for u in users] == [ME, BOB] and users[0].is_self
    full_user = roundtrip(await kit.call(functions.users.GetFullUserRequest(
        types.InputUser(BOB, sample.users[BOB].access_hash))))
    assert full_user.full_user.id == BOB and full_user.users[0].id == BOB
    await expect(kit, functions.users.GetFullUserRequest(types.InputUser(BOB, 1)),
                 400, "USER_ID_INVALID")


async def test_resolve_username(sample):
    kit = HandlerKit(sample)
    resolved = roundtrip(await kit.call(functions.contacts.ResolveUsernameRequest("bobstone")))
    assert resolved.peer == types.PeerUser(BOB) and resolved.users[0].id == BOB
    resolved = await kit.call(functions.contacts.ResolveUsernameRequest("News"))
    assert isinstance(resolved.peer, types.PeerChannel) and resolved.chats[0].username == "news"
    await expect(kit, functions.contacts.ResolveUsernameRequest("nobody_here"),
                 400, "USERNAME_NOT_OCCUPIED")
    await expect(kit, functions.contacts.ResolveUsernameRequest("a!"), 400, "USERNAME_INVALID")


def forum_topics(peer, offset_topic=0):
    """getForumTopics under its name in the installed layer (it moved from
    channels.* to messages.*, taking a peer instead of a channel)."""
    cls = get_request("messages.GetForumTopicsRequest") or \
        get_request("channels.GetForumTopicsRequest")
    channel = types.InputChannel(peer.channel_id, peer.access_hash)
    return make(cls, peer=peer, channel=channel, offset_date=None, offset_id=0,
                offset_topic=offset_topic, limit=100)


async def test_forum_topics_and_replies(sample):
    kit = HandlerKit(sample)
    forum = next(i for i in sample.chats() if i.kind == "forum")
    peer = types.InputPeerChannel(forum.id, forum.access_hash)
    topics = roundtrip(await kit.call(forum_topics(peer)))
    by_title = {t.title: t for t in topics.topics}
    assert set(by_title) == {"General", "Hardware", "Software"} and topics.count == 3
    assert by_title["Software"].closed and not by_title["Hardware"].closed
    hardware = by_title["Hardware"]
    top_ids = {m.id for m in topics.messages}
    assert hardware.top_message in top_ids
    replies = roundtrip(await kit.call(functions.messages.GetRepliesRequest(
        peer, hardware.id, 0, None, 0, 100, 0, 0, 0)))
    texts = [m.message for m in replies.messages if isinstance(m, types.Message)]
    assert texts == ["which iron?", "solder"]
    assert replies.messages[0].id == hardware.top_message
    await expect(kit, functions.messages.GetRepliesRequest(peer, 9999, 0, None, 0, 100, 0, 0, 0),
                 400, "MSG_ID_INVALID")
    page = await kit.call(forum_topics(peer, offset_topic=topics.topics[0].id))
    assert [t.id for t in page.topics] == [t.id for t in topics.topics[1:]]
    by_id = get_request("messages.GetForumTopicsByIDRequest") or \
        get_request("channels.GetForumTopicsByIDRequest")
    some = roundtrip(await kit.call(make(
        by_id, peer=peer, channel=types.InputChannel(forum.id, forum.access_hash),
        topics=[hardware.id, 9999])))
    assert isinstance(some.topics[0], types.ForumTopic) and some.topics[0].title == "Hardware"
    assert isinstance(some.topics[1], types.ForumTopicDeleted) and some.topics[1].id == 9999
    news = next(i for i in sample.chats() if i.kind == "channel")
    await expect(kit, forum_topics(types.InputPeerChannel(news.id, news.access_hash)),
                 400, "CHANNEL_FORUM_MISSING")


async def test_peer_dialogs_contacts_and_chats(sample):
    kit = HandlerKit(sample)
    news = next(i for i in sample.chats() if i.kind == "channel")
    group = next(i for i in sample.chats() if i.kind == "group")
    peers = [types.InputDialogPeer(types.InputPeerChannel(news.id, news.access_hash)),
             types.InputDialogPeer(types.InputPeerChat(group.id))]
    answer = roundtrip(await kit.call(functions.messages.GetPeerDialogsRequest(peers)))
    assert [d.peer for d in answer.dialogs] == [types.PeerChannel(news.id), types.PeerChat(group.id)]
    assert answer.dialogs[0].pts == sample.channel_pts(news.key)
    assert answer.state.pts == sample.pts
    assert {(type(m.peer_id), m.id) for m in answer.messages} == {
        (types.PeerChannel, sample.top_message(news.key).id),
        (types.PeerChat, sample.top_message(group.key).id)}
    contacts = roundtrip(await kit.call(functions.contacts.GetContactsRequest(hash=0)))
    assert [c.user_id for c in contacts.contacts] == [BOB]
    chats = roundtrip(await kit.call(functions.messages.GetChatsRequest([group.id])))
    assert chats.chats[0].title == "Book club"
    await expect(kit, functions.messages.GetChatsRequest([31337]), 400, "CHAT_ID_INVALID")


def test_every_documented_method_has_a_handler():
    from fakegram.tl.methods import HANDLERS
    names = ["auth.SendCode", "auth.SignIn", "auth.CheckPassword", "auth.LogOut",
             "auth.ExportAuthorization", "auth.ImportAuthorization", "account.GetPassword",
             "account.InitTakeoutSession", "account.FinishTakeoutSession", "help.GetConfig",
             "help.GetNearestDc", "help.GetAppConfig", "users.GetUsers", "users.GetFullUser",
             "updates.GetState", "updates.GetDifference", "updates.GetChannelDifference",
             "messages.GetDialogs", "messages.GetHistory", "messages.GetReplies",
             "messages.GetMessages", "channels.GetMessages", "messages.GetSplitRanges",
             "channels.GetChannels", "channels.GetFullChannel", "messages.GetFullChat",
             "contacts.ResolveUsername", "upload.GetFile", "upload.GetFileHashes"]
    missing = [n for n in names if get_request(n).CONSTRUCTOR_ID not in HANDLERS]
    assert not missing
    topics = get_request("messages.GetForumTopics") or get_request("channels.GetForumTopics")
    assert topics.CONSTRUCTOR_ID in HANDLERS
