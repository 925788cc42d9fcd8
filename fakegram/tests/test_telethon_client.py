"""The unmodified Telethon client against fakegram over TCP: login, dialogs,
history in both directions, Takeout, downloads across DCs, flood waits."""
from __future__ import annotations

import time

import pytest
from telethon import errors, functions, types
from telethon.sessions import StringSession

from fakegram.testing import BOB, ME, all_messages, chat_key, connected_client, small_world


def world_ids(world, key) -> list[int]:
    return [m.id for m in all_messages(world, key)]


async def input_peer(client, key):
    """The input peer of a chat, learned from the dialogs like an app does
    (a channel's access hash is not known before)."""
    await client.get_dialogs()
    peer = {"channel": types.PeerChannel, "chat": types.PeerChat, "user": types.PeerUser}[key[0]]
    return await client.get_input_entity(peer(key[1]))


async def test_get_me_is_the_worlds_user(client):
    me = await client.get_me()
    assert (me.id, me.first_name, me.username) == (ME, "Ada", "ada")


async def test_iter_dialogs_lists_every_chat(client, world):
    dialogs = [d async for d in client.iter_dialogs(limit=None)]
    expected = [c.title or world.users[c.id].display_name for c in world.chats()]
    assert [d.name for d in dialogs] == expected


async def test_iter_dialogs_pages_when_asked_for_small_pages(server, world):
    # limit=2 per request forces offset_date/offset_id/offset_peer paging.
    async with connected_client(server) as client:
        got = []
        async for d in client.iter_dialogs(limit=None):
            got.append(d.id)
        raw = await client(functions.messages.GetDialogsRequest(
            offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(),
            limit=2, hash=0))
    assert len(got) == len(world.chats())
    assert isinstance(raw, types.messages.DialogsSlice) and raw.count == len(world.chats())


@pytest.mark.parametrize("title", ["News", "Book club", "Makers"])
async def test_iter_messages_both_directions_equals_the_world(client, world, title):
    key = chat_key(world, title)
    entity = await input_peer(client, key)
    newest_first = [m.id async for m in client.iter_messages(entity, wait_time=0)]
    oldest_first = [m.id async for m in client.iter_messages(entity, reverse=True, wait_time=0)]
    assert newest_first == world_ids(world, key)
    assert oldest_first == list(reversed(newest_first))


async def test_private_chat_ids_are_sparse_and_complete(client, world):
    key = ("user", BOB)
    await input_peer(client, key)
    ids = [m.id async for m in client.iter_messages(BOB, wait_time=0)]
    assert ids == world_ids(world, key)
    assert max(ids) - min(ids) + 1 > len(ids)   # the common box interleaves chats
    texts = [m.message async for m in client.iter_messages(BOB, limit=3)]
    assert texts[0] == "a photo"


@pytest.mark.parametrize("params", [
    dict(offset_id=0, add_offset=0, limit=20),
    dict(offset_id=100, add_offset=0, limit=20),
    dict(offset_id=100, add_offset=-10, limit=20),
    dict(offset_id=100, add_offset=-25, limit=20),
    dict(offset_id=100, add_offset=5, limit=7),
    dict(offset_id=0, add_offset=0, limit=100, min_id=200),
    dict(offset_id=0, add_offset=0, limit=100, max_id=50),
    dict(offset_id=150, add_offset=-50, limit=60, min_id=120, max_id=170),
    dict(offset_id=10_000, add_offset=0, limit=5),
    dict(offset_id=3, add_offset=0, limit=5),
])
async def test_get_history_parameters_match_telegram_semantics(client, world, params):
    key = chat_key(world, "News")
    channel = await input_peer(client, key)
    full = dict(offset_date=None, max_id=0, min_id=0, hash=0) | params
    got = await client(functions.messages.GetHistoryRequest(peer=channel, **full))
    expected = world.get_history(key, **{k: v for k, v in params.items()})
    assert [m.id for m in got.messages] == [m.id for m in expected.messages]
    assert got.count == expected.count
    # A reference independent of the world's code: ids sorted newest first.
    ids = world_ids(world, key)
    start = next((i for i, x in enumerate(ids) if x < params["offset_id"]), len(ids)) \
        if params["offset_id"] else 0
    begin = start + params["add_offset"]
    window = ids[max(0, begin):max(0, begin + params["limit"])]
    window = [x for x in window if (not params.get("max_id") or x < params["max_id"])
              and (not params.get("min_id") or x > params["min_id"])]
    assert [m.id for m in got.messages] == window


async def test_offset_date_starts_before_that_date(client, world):
    key = chat_key(world, "News")
    channel = await input_peer(client, key)
    all_msgs = [m async for m in client.iter_messages(channel, wait_time=0)]
    pivot = all_msgs[40]
    got = await client(functions.messages.GetHistoryRequest(
        peer=channel, offset_id=0, offset_date=pivot.date, add_offset=0, limit=10,
        max_id=0, min_id=0, hash=0))
    assert got.messages and all(m.date < pivot.date for m in got.messages)
    older = [m for m in all_msgs if m.date < pivot.date][:10]
    assert [m.id for m in got.messages] == [m.id for m in older]


async def test_takeout_session_serves_history_and_finishes(server, client, world):
    key = chat_key(world, "News")
    async with client.takeout(finalize=True, contacts=False, users=True, chats=True,
                              megagroups=True, channels=True) as takeout:
        ids = [m.id async for m in takeout.iter_messages(await input_peer(takeout, key),
                                                         wait_time=0)]
    assert ids == world_ids(world, key)
    methods = [(r["method"], r["takeout"]) for r in server.request_log()]
    assert ("account.initTakeoutSession", False) in methods
    assert ("messages.getHistory", True) in methods
    assert ("account.finishTakeoutSession", True) in methods or \
        ("account.finishTakeoutSession", False) in methods


async def _media_message(client, world, title, text):
    key = chat_key(world, title)
    async for m in client.iter_messages(await input_peer(client, key), wait_time=0):
        if m.message == text:
            return key, m
    raise AssertionError(f"no message {text!r}")


def _world_bytes(world, key, msg_id) -> bytes:
    (message,) = world.get_messages(key, [msg_id])
    media = message.media
    blob = media.file if media.file is not None else max(media.sizes, key=lambda s: s.w * s.h).file
    return world.read_file(blob, 0, blob.size)


async def test_download_from_the_home_dc_is_byte_exact(client, world):
    key, msg = await _media_message(client, world, "Bob Stone", "a photo")
    data = await client.download_media(msg, file=bytes)
    assert data == _world_bytes(world, key, msg.id)
    assert data[:2] == b"\xff\xd8"


async def test_download_from_another_dc_is_byte_exact(server, client, world):
    key, msg = await _media_message(client, world, "News", "a big file")
    assert msg.media.document.dc_id == 4
    data = await client.download_media(msg, file=bytes)
    assert len(data) == 3 * 1024 * 1024 + 12345
    assert data == _world_bytes(world, key, msg.id)
    # Telethon asks its home DC first and follows FILE_MIGRATE_4.
    log = [(r["dc"], r["error"]) for r in server.request_log(method="upload.getFile")]
    assert log[0] == (2, "FILE_MIGRATE_4")
    assert log[1:] and set(log[1:]) == {(4, None)}
    assert any(r["method"] == "auth.importAuthorization" and r["dc"] == 4
               for r in server.request_log())


async def test_get_file_hashes_match_the_bytes(client, world):
    import hashlib
    key, msg = await _media_message(client, world, "News", "a big file")
    doc = msg.media.document
    location = types.InputDocumentFileLocation(
        id=doc.id, access_hash=doc.access_hash, file_reference=doc.file_reference, thumb_size="")
    sender = await client._borrow_exported_sender(doc.dc_id)
    try:
        hashes = await sender.send(functions.upload.GetFileHashesRequest(location=location, offset=0))
    finally:
        await client._return_exported_sender(sender)
    data = _world_bytes(world, key, msg.id)
    assert hashes
    for h in hashes:
        assert h.hash == hashlib.sha256(data[h.offset:h.offset + h.limit]).digest()


async def test_flood_wait_under_the_threshold_is_slept_through(server, world):
    server.faults.add(_rule("FLOOD_WAIT_1", "help.getNearestDc", nth=1))
    async with connected_client(server, flood_sleep_threshold=5) as client:
        started = time.monotonic()
        nearest = await client(functions.help.GetNearestDcRequest())
        assert time.monotonic() - started >= 1.0
    assert nearest.this_dc == server.home_dc
    calls = server.request_log(method="help.getNearestDc")
    assert [c["error"] for c in calls] == ["FLOOD_WAIT_1", None]


async def test_flood_wait_over_the_threshold_is_raised(server):
    server.faults.add(_rule("FLOOD_WAIT_30", "help.getNearestDc", nth=1))
    async with connected_client(server, flood_sleep_threshold=5) as client:
        with pytest.raises(errors.FloodWaitError) as info:
            await client(functions.help.GetNearestDcRequest())
    assert info.value.seconds == 30


def _rule(error, method, **kw):
    from fakegram.faults import FaultRule
    return FaultRule(error=error, method=method, **kw)


async def test_login_with_code_then_log_out(server):
    session = StringSession()
    dc, host, port = server.dc_options()[1]
    session.set_dc(dc, host, port)
    async with connected_client(server, session) as client:
        sent = await client.send_code_request("+1 555 000 1000")
        code = server.state.last_codes["15550001000"]
        with pytest.raises(errors.PhoneCodeInvalidError):
            await client.sign_in("+15550001000", code="00000" if code != "00000" else "11111",
                                 phone_code_hash=sent.phone_code_hash)
        me = await client.sign_in("+15550001000", code=code, phone_code_hash=sent.phone_code_hash)
        assert me.id == ME
        assert (await client.get_me()).id == ME
        assert await client.log_out()


async def test_login_with_two_step_verification(rsa_key, tmp_path):
    from fakegram.testing import running_server
    async with running_server(small_world(password="correct horse"), tmp_path / "fg",
                              rsa_key=rsa_key) as server:
        session = StringSession()
        dc, host, port = server.dc_options()[1]
        session.set_dc(dc, host, port)
        async with connected_client(server, session) as client:
            await client.send_code_request("+15550001000")
            code = server.state.last_codes["15550001000"]
            with pytest.raises(errors.SessionPasswordNeededError):
                await client.sign_in("+15550001000", code=code)
            with pytest.raises(errors.PasswordHashInvalidError):
                await client.sign_in(password="wrong")
            me = await client.sign_in(password="correct horse")
            assert me.id == ME


async def test_revoked_session_is_reported_as_unregistered(server, client):
    assert await client.is_user_authorized()
    server.revoke_user_keys()
    with pytest.raises(errors.AuthKeyUnregisteredError):
        await client(functions.users.GetUsersRequest([types.InputUserSelf()]))
