"""updates.getState / getDifference / getChannelDifference and pushed Updates."""
from __future__ import annotations

from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from fakegram.tl.push import build_updates
from fakegram.tl.testkit import BOB, HandlerKit, sample_world


def roundtrip(obj):
    assert BinaryReader(bytes(obj)).tgread_object() == obj
    return obj


def difference(pts, date=None):
    return functions.updates.GetDifferenceRequest(pts=pts, date=date, qts=0)


def channel_difference(info, pts, limit=100):
    return functions.updates.GetChannelDifferenceRequest(
        types.InputChannel(info.id, info.access_hash), types.ChannelMessagesFilterEmpty(),
        pts, limit)


def news(world):
    return next(i for i in world.chats() if i.kind == "channel")


async def test_state_and_common_difference():
    world = sample_world()
    kit = HandlerKit(world)
    state = roundtrip(await kit.call(functions.updates.GetStateRequest()))
    assert (state.pts, state.qts, state.seq) == (world.pts, world.qts, world.seq)
    empty = await kit.call(difference(state.pts))
    assert isinstance(empty, types.updates.DifferenceEmpty) and empty.seq == world.seq
    too_long = await kit.call(difference(0))
    assert isinstance(too_long, types.updates.DifferenceTooLong) and too_long.pts == world.pts

    bob = ("user", BOB)
    new = world.post(bob, "hello there", from_id=BOB)
    world.edit(bob, new.id, "hello again")
    gone = world.get_history(bob, limit=3).messages[-1].id
    world.delete(bob, [gone])
    diff = roundtrip(await kit.call(difference(state.pts)))
    assert isinstance(diff, types.updates.Difference)
    assert [m.id for m in diff.new_messages] == [new.id]
    edit, delete = diff.other_updates
    assert isinstance(edit, types.UpdateEditMessage) and edit.message.message == "hello again"
    assert (edit.pts, edit.pts_count) == (state.pts + 2, 1)
    assert isinstance(delete, types.UpdateDeleteMessages) and delete.messages == [gone]
    assert (delete.pts, delete.pts_count) == (state.pts + 3, 1)
    assert diff.state.pts == world.pts == state.pts + 3
    assert BOB in {u.id for u in diff.users}


async def test_difference_slices_when_limited():
    world = sample_world()
    kit = HandlerKit(world)
    start = world.pts
    for i in range(5):
        world.post(("user", BOB), f"m{i}", from_id=BOB)
    sliced = roundtrip(await kit.call(functions.updates.GetDifferenceRequest(
        pts=start, date=None, qts=0, pts_total_limit=2)))
    assert isinstance(sliced, types.updates.DifferenceSlice)
    assert [m.message for m in sliced.new_messages] == ["m0", "m1"]
    assert sliced.intermediate_state.pts == start + 2
    rest = await kit.call(difference(sliced.intermediate_state.pts))
    assert isinstance(rest, types.updates.Difference)
    assert [m.message for m in rest.new_messages] == ["m2", "m3", "m4"]


async def test_channel_difference():
    world = sample_world()
    kit = HandlerKit(world)
    info = news(world)
    pts = world.channel_pts(info.key)
    empty = roundtrip(await kit.call(channel_difference(info, pts)))
    assert isinstance(empty, types.updates.ChannelDifferenceEmpty)
    assert empty.pts == pts and empty.final

    post = world.post(info.key, "breaking")
    world.edit(info.key, post.id, "breaking, updated")
    world.delete(info.key, [1, 2])
    diff = roundtrip(await kit.call(channel_difference(info, pts)))
    assert isinstance(diff, types.updates.ChannelDifference) and diff.final
    assert diff.pts == world.channel_pts(info.key) == pts + 4
    assert [m.id for m in diff.new_messages] == [post.id]
    edit, delete = diff.other_updates
    assert isinstance(edit, types.UpdateEditChannelMessage)
    assert edit.message.message == "breaking, updated" and edit.pts == pts + 2
    assert isinstance(delete, types.UpdateDeleteChannelMessages)
    assert (delete.channel_id, delete.messages, delete.pts, delete.pts_count) == \
        (info.id, [1, 2], pts + 4, 2)

    partial = await kit.call(channel_difference(info, pts, limit=1))
    assert not partial.final and partial.pts == pts + 1

    too_long = roundtrip(await kit.call(channel_difference(info, 0, limit=10)))
    assert isinstance(too_long, types.updates.ChannelDifferenceTooLong)
    assert too_long.dialog.pts == world.channel_pts(info.key)
    assert too_long.dialog.top_message == post.id
    assert [m.id for m in too_long.messages][:1] == [post.id] and len(too_long.messages) == 10


async def test_build_updates_carries_the_events_pts():
    world = sample_world()
    events = []
    world.subscribe(events.append)
    info = news(world)
    post = world.post(info.key, "pushed")
    world.edit(info.key, post.id, "pushed, edited")
    world.delete(info.key, [3, 4, 5])
    dm = world.post(("user", BOB), "dm", from_id=BOB)
    world.edit(("user", BOB), dm.id, "dm, edited")
    world.delete(("user", BOB), [dm.id])
    built = [roundtrip(build_updates(world, e)) for e in events]
    expected = [types.UpdateNewChannelMessage, types.UpdateEditChannelMessage,
                types.UpdateDeleteChannelMessages, types.UpdateNewMessage,
                types.UpdateEditMessage, types.UpdateDeleteMessages]
    assert [type(u.updates[0]) for u in built] == expected
    for event, updates in zip(events, built):
        (update,) = updates.updates
        assert (update.pts, update.pts_count) == (event.pts, event.pts_count)
        assert updates.seq == 0
    assert built[2].updates[0].messages == [3, 4, 5] and built[2].updates[0].pts_count == 3
    assert built[0].updates[0].message.message == "pushed"
    assert [c.id for c in built[0].chats] == [info.id]
    assert {u.id for u in built[3].users} == {BOB}
    assert built[3].updates[0].message.from_id == types.PeerUser(BOB)


async def test_difference_points_at_channels_with_news():
    world = sample_world()
    kit = HandlerKit(world)
    state = await kit.call(functions.updates.GetStateRequest())
    quiet = await kit.call(difference(state.pts, date=state.date))
    assert isinstance(quiet, types.updates.DifferenceEmpty)
    info = news(world)
    world.post(info.key, "while you were away")
    diff = roundtrip(await kit.call(difference(state.pts, date=state.date)))
    assert isinstance(diff, types.updates.Difference) and not diff.new_messages
    (update,) = diff.other_updates
    assert isinstance(update, types.UpdateChannelTooLong)
    assert (update.channel_id, update.pts) == (info.id, world.channel_pts(info.key))
    assert [c.id for c in diff.chats] == [info.id]
