"""A note the user deleted, with a real tobsd process: its old messages stay
out, a message that arrives later for its period brings it back holding only
the new messages, and the deletion shows in the log (info) and in status."""
from __future__ import annotations


from fakegram.testing import small_world
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config
from tests.vaultscan import scan


async def wait_until(check, what: str, tobsd: TobsdProcess):
    """`check()` true within 30 s; on timeout the message ends with tobsd's log."""
    await wait_for(check, what=what, interval=0.05, describe=lambda: tobsd.log()[-3000:])


async def test_a_deleted_note_comes_back_with_new_messages_only(make_server, tmp_path):
    world = small_world(channel_posts=30)
    vault = tmp_path / "vault"
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            news = next(c.key for c in world.chats() if c.title == "News")
            first = world.post(news, "first live post")
            second = world.post(news, "second live post")

            def note_of(msg_id):
                return next((b.note for b in scan(vault) if b.msg_id == msg_id), None)

            await wait_until(lambda: note_of(first.id) and note_of(second.id),
                             what="the live posts in the vault", tobsd=tobsd)
            rel = note_of(second.id)
            assert note_of(first.id) == rel
            (vault / rel).unlink()        # the user deletes the note
            world.edit(news, first.id, "first live post, edited")
            third = world.post(news, "third live post, after the deletion")
            await wait_until(lambda: note_of(third.id) == rel, what="the note back",
                             tobsd=tobsd)
            status = await tobsd.wait_for(
                lambda s: rel in s["chats"][0].get("deleted_notes", []), 10, "status")
            # Live events apply in order: the edit of the first post was
            # handled before the third post landed, and stayed out.
            in_note = sorted(b.msg_id for b in scan(vault) if b.note == rel)
            assert in_note == [third.id], in_note
            fourth = world.post(news, "fourth live post")
            await wait_until(lambda: note_of(fourth.id) == rel, what="a later post", tobsd=tobsd)
        finally:
            assert await tobsd.terminate() == 0
    in_note = sorted(b.msg_id for b in scan(vault) if b.note == rel)
    assert in_note == [third.id, fourth.id]
    assert not any(b.msg_id in (first.id, second.id) for b in scan(vault))
    log = tobsd.log()
    assert log.count(f"INFO tobsd.vault.writer: {rel} was deleted in the vault") == 1, log[-2000:]
    assert status["chats"][0]["state"] == "live"
