"""Media downloads in a real tobsd process against fakegram: every embed in
the notes resolves to a real file with the world's bytes (a photo on the
home DC, a voice note, a multi-part file on DC 4), no downloading marker
is left, status reports it; a download killed with SIGKILL resumes from its
last recorded part after a restart instead of from byte 0."""
from __future__ import annotations

import re
from pathlib import Path

from fakegram.testing import all_messages, small_world
from fakegram.world import WorldBuilder
from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess, write_config

EMBED = re.compile(r"!?\[\[([^\]|#]+)(?:\|[^\]]*)?\]\]")
PART = 1024 * 1024


def attachment_links(vault: Path) -> list[str]:
    """Every wikilink of the Telegram notes that names a file other than a note."""
    links = []
    for note in (vault / "Telegram").rglob("*.md"):
        for target in EMBED.findall(note.read_text(encoding="utf-8")):
            if not target.endswith(".md") and "." in target.rsplit("/", 1)[-1]:
                links.append(target)
    return links


def world_files(world, key) -> list[bytes]:
    out = []
    for m in all_messages(world, key):
        if m.media is None:
            continue
        blob = m.media.file
        if m.media.kind == "photo" and m.media.sizes:
            blob = max(m.media.sizes, key=lambda s: s.w * s.h).file   # the size tobsd keeps
        if blob is not None:
            out.append(world.read_file(blob, 0, blob.size))
    return out


def media_done(status: dict) -> bool:
    counts = [c.get("media") for c in status["chats"]]
    return status["state"] == "running" and all(c for c in counts) and \
        all(int(c.get("done", 0)) > 0 and not int(c.get("queued", 0)) for c in counts)


async def test_notes_embed_real_files_with_the_worlds_bytes(make_server, tmp_path):
    world = small_world(channel_posts=30)
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@news", "@bobstone"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(2)
            status = await tobsd.wait_for(media_done, 120, "every attachment downloaded")
            shown = await tobsd.tobsctl("status")
        finally:
            assert await tobsd.terminate() == 0
    vault = tmp_path / "vault"
    links = attachment_links(vault)
    for link in links:
        assert (vault / link).is_file(), link
    expected = sorted(world_files(world, ("channel", next(c.id for c in world.chats() if c.title == "News")))
                      + world_files(world, ("user", 2001)))
    # Every original is linked (processing may add derived files beside them).
    linked = [(vault / link).read_bytes() for link in set(links)]
    assert len(expected) == 3 and all(data in linked for data in expected)
    assert any(len(b) > 3 * PART for b in expected)       # one file took several parts
    notes = "".join(p.read_text() for p in (vault / "Telegram").rglob("*.md"))
    assert "downloading…" not in notes
    assert not list((tmp_path / "state" / "media-partial").glob("*.part"))
    media = status["daemon"]["media"]
    assert int(media["files_stored"]) == 3 and int(media["stored_bytes"]) == sum(map(len, expected))
    assert int(media["parts_hash_checked"]) >= 4
    assert shown.returncode == 0 and "media" in shown.stdout and "done" in shown.stdout
    # Download connections take no updates (those are the main connection's).
    assert "Unhandled error" not in tobsd.log() and "Traceback" not in tobsd.log()
    # Every part request followed upload.getFile's offset/limit rules.
    assert all(not r["error"] or r["error"].startswith(("FILE_MIGRATE", "FLOOD"))
               for r in server.request_log(method="upload.getFile")), \
        [r["error"] for r in server.request_log(method="upload.getFile")]


def big_world(size: int):
    b = WorldBuilder(seed=5)
    chan = b.channel("Archive", username="archive")
    b.message(chan, "hello")
    b.message(chan, "the big one", media=b.document(size=size, file_name="big.bin",
                                                    mime_type="application/octet-stream", dc_id=4))
    b.message(chan, "after")
    return b.build()


def note_says_downloading(base: Path) -> bool:
    return any("downloading…" in p.read_text() for p in (base / "vault" / "Telegram").rglob("*.md"))


def recorded_parts(state: Path) -> int:
    return sum(len(p.read_bytes().split(b"\n")) - 1 for p in (state / "media-partial").glob("*.parts"))


async def test_a_killed_download_resumes_from_its_recorded_parts(make_server, tmp_path):
    parts = 32
    world = big_world(parts * PART - 1000)
    async with make_server(world) as server:
        server.rtt_ms = 100     # slow enough that the kill lands mid-file on any machine
        config = write_config(tmp_path, server, ["@archive"])
        first = TobsdProcess(config).start()
        try:
            await wait_for(lambda: recorded_parts(tmp_path / "state") >= 4 and note_says_downloading(tmp_path),
                           timeout=120, what="four parts recorded and the note written",
                           describe=lambda: first.log()[-2000:])
        finally:
            await first.kill()
        held = recorded_parts(tmp_path / "state")
        assert held < parts, "the kill came after the download finished"
        # The note was written at once: its embed names the file's final
        # place, which does not exist yet, and says it is downloading.
        (planned,) = attachment_links(tmp_path / "vault")
        assert not (tmp_path / "vault" / planned).exists()
        notes = "".join(p.read_text() for p in (tmp_path / "vault" / "Telegram").rglob("*.md"))
        assert "downloading…" in notes and "the big one" in notes
        before = len([r for r in server.request_log(method="upload.getFile") if not r["error"]])
        server.rtt_ms = 0
        second = TobsdProcess(config).start()
        try:
            status = await second.wait_for(media_done, 120, "the download finished")
        finally:
            assert await second.terminate() == 0
    fetched_after = len([r for r in server.request_log(method="upload.getFile") if not r["error"]]) - before
    # Only the parts not recorded were fetched again: never from byte 0.
    assert fetched_after == parts - held, (fetched_after, parts, held)
    assert int(status["daemon"]["media"]["parts_resumed"]) == held
    links = attachment_links(tmp_path / "vault")
    assert links == [planned]            # the same name, now a file
    (link,) = links
    notes = "".join(p.read_text() for p in (tmp_path / "vault" / "Telegram").rglob("*.md"))
    assert "downloading…" not in notes
    key = ("channel", next(c.id for c in world.chats() if c.title == "Archive"))
    assert (tmp_path / "vault" / link).read_bytes() == world_files(world, key)[0]
