"""What catching up clients see: title changes and pins through pushed
updates and differences, the update log's size, and getHistory's ids hash
(messagesNotModified)."""
from __future__ import annotations

from telethon.tl import functions, types

from fakegram.control import Control
from fakegram.tl.hashing import ids_hash
from fakegram.tl.push import build_updates
from fakegram.tl.testkit import HandlerKit, sample_world

from .test_tl_updates import channel_difference, difference, news, roundtrip


def group(world):
    return next(i for i in world.chats() if i.kind == "group")


def test_ids_hash_follows_telegrams_algorithm():
    # Worked by hand from core.telegram.org/api/offsets: after 1: 1; after 2:
    # (1 ^ 1<<35 ^ (1 ^ 1<<35) >> 4) + 2.
    assert ids_hash([]) == 0
    assert ids_hash([1]) == 1
    h = 1
    h ^= h >> 21
    h ^= (h << 35) & (2**64 - 1)
    h ^= h >> 4
    assert ids_hash([1, 2]) == h + 2
    assert ids_hash([2, 1]) != ids_hash([1, 2])
    big = ids_hash(range(10**6, 10**6 + 100))
    assert -2**63 <= big < 2**63


async def test_history_not_modified_exactly_when_the_page_ids_match():
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    peer = types.InputPeerChannel(info.id, info.access_hash)

    def history(hash_):
        return functions.messages.GetHistoryRequest(peer, 0, None, 0, 20, 0, 0, hash_)
    page = await kit.call(history(0))
    ids = [m.id for m in page.messages]
    same = roundtrip(await kit.call(history(ids_hash(ids))))
    assert isinstance(same, types.messages.MessagesNotModified) and same.count == page.count
    world.edit(info.key, ids[4], "an edit keeps the ids")   # documented: ids only
    assert isinstance(await kit.call(history(ids_hash(ids))), types.messages.MessagesNotModified)
    world.delete(info.key, [ids[4]])
    changed = await kit.call(history(ids_hash(ids)))
    assert not isinstance(changed, types.messages.MessagesNotModified)
    assert ids[4] not in [m.id for m in changed.messages]


async def test_one_message_at_a_position_is_not_modified_until_a_newer_one_is_deleted():
    # offset = offsetFromID(offset_id) + add_offset (core.telegram.org/api/offsets);
    # the hash covers the one id the result holds.
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    peer = types.InputPeerChannel(info.id, info.access_hash)
    ids = [m.id for m in (await kit.call(functions.messages.GetHistoryRequest(
        peer, 0, None, 0, 30, 0, 0, 0))).messages]
    window = ids[5:25]

    def probe():
        return functions.messages.GetHistoryRequest(peer, window[0] + 1, None, len(window) - 1, 1,
                                                    0, 0, ids_hash([window[-1]]))
    assert isinstance(await kit.call(probe()), types.messages.MessagesNotModified)
    world.delete(info.key, [ids[2], ids[27]])          # outside the window: same position
    assert isinstance(await kit.call(probe()), types.messages.MessagesNotModified)
    world.delete(info.key, [window[7]])
    moved = await kit.call(probe())
    assert [m.id for m in moved.messages] == [ids[25]]


async def test_title_change_by_method_is_a_service_message_in_every_path():
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    pts = world.channel_pts(info.key)
    answer = roundtrip(await kit.call(functions.channels.EditTitleRequest(
        types.InputChannel(info.id, info.access_hash), "Renamed news")))
    kinds = [type(u).__name__ for u in answer.updates]
    assert kinds == ["UpdateChannel", "UpdateNewChannelMessage"]
    service = answer.updates[1].message
    assert isinstance(service.action, types.MessageActionChatEditTitle)
    assert service.action.title == "Renamed news" and answer.updates[1].pts == pts + 1
    assert world.chat(info.key).title == "Renamed news"
    diff = await kit.call(channel_difference(info, pts))
    assert [m.id for m in diff.new_messages] == [service.id]
    g = group(world)
    state = world.pts
    answer = await kit.call(functions.messages.EditChatTitleRequest(g.id, "Club"))
    assert [type(u).__name__ for u in answer.updates] == ["UpdateChat", "UpdateNewMessage"]
    diff = await kit.call(difference(state))
    assert isinstance(diff.new_messages[0].action, types.MessageActionChatEditTitle)
    assert any(isinstance(u, types.UpdateChat) for u in diff.other_updates)


async def test_pins_move_the_pts_and_post_the_service_message():
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    pts = world.channel_pts(info.key)
    target = world.get_history(info.key, limit=5).messages[-1].id
    service = world.pin(info.key, target)
    assert service.action.kind == "pin" and service.reply_to.msg_id == target
    diff = roundtrip(await kit.call(channel_difference(info, pts)))
    pin = next(u for u in diff.other_updates if isinstance(u, types.UpdatePinnedChannelMessages))
    assert pin.messages == [target] and pin.pinned and pin.pts == pts + 1
    assert [m.id for m in diff.new_messages] == [service.id] and diff.pts == pts + 2
    assert world.pin(info.key, target, pinned=False) is None
    g = group(world)
    state = world.pts
    msg_id = world.get_history(g.key, limit=1).messages[0].id
    world.pin(g.key, msg_id)
    diff = await kit.call(difference(state))
    pin = next(u for u in diff.other_updates if isinstance(u, types.UpdatePinnedMessages))
    assert pin.messages == [msg_id] and isinstance(pin.peer, types.PeerChat)
    pushed = []
    world.subscribe(lambda event: pushed.append(build_updates(world, event)))
    world.pin(g.key, msg_id, pinned=False)
    assert isinstance(pushed[0].updates[0], types.UpdatePinnedMessages)
    assert not pushed[0].updates[0].pinned


async def test_log_size_is_a_parameter_and_beyond_it_is_too_long():
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    pts, state = world.channel_pts(info.key), world.pts
    world.set_log_size(3)
    for i in range(3):
        world.post(info.key, f"post {i}")
    assert isinstance(await kit.call(channel_difference(info, pts)), types.updates.ChannelDifference)
    world.post(info.key, "one too many")
    assert isinstance(await kit.call(channel_difference(info, pts)),
                      types.updates.ChannelDifferenceTooLong)
    for i in range(4):
        world.post(group(world).key, f"chat {i}")
    assert isinstance(await kit.call(difference(state)), types.updates.DifferenceTooLong)


def test_control_routes_for_titles_pins_and_log_size():
    world = sample_world()

    class Server:
        pass
    server = Server()
    server.world = world
    control = Control(server)
    info = news(world)
    renamed = control.rename_chat(list(info.key), "Fresh")
    assert world.chat(info.key).title == "Fresh" and renamed["id"]
    target = world.get_history(info.key, limit=1).messages[0].id
    assert control.pin(list(info.key), target)["service_id"]
    assert control.update_log(7) == {"size": 7}
