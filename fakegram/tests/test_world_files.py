"""File bytes, media objects, access hashes and the shipped assets."""
from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import tracemalloc

import pytest

from fakegram.world import WorldBuilder
from fakegram.world.files import ASSETS_DIR, read_blob, seed_blob
from fakegram.world.ids import access_hash, file_reference

MAGIC = {
    "photo_s.jpg": (0, b"\xff\xd8\xff"), "photo_m.jpg": (0, b"\xff\xd8\xff"),
    "photo_x.jpg": (0, b"\xff\xd8\xff"), "thumb_square.jpg": (0, b"\xff\xd8\xff"),
    "thumb_wide.jpg": (0, b"\xff\xd8\xff"), "voice.ogg": (0, b"OggS"),
    "round.mp4": (4, b"ftyp"), "video.mp4": (4, b"ftyp"), "gif.mp4": (4, b"ftyp"),
    "video_sticker.webm": (0, b"\x1a\x45\xdf\xa3"), "animated_sticker.tgs": (0, b"\x1f\x8b"),
}


@pytest.mark.parametrize("name", sorted(MAGIC))
def test_assets_have_the_right_magic(name):
    data = (ASSETS_DIR / name).read_bytes()
    at, magic = MAGIC[name]
    assert data[at:at + len(magic)] == magic
    assert 1_000 < len(data) < 70_000 or name.endswith(".tgs")


def test_other_assets():
    webp = (ASSETS_DIR / "sticker.webp").read_bytes()
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    assert int.from_bytes(webp[4:8], "little") == len(webp) - 8
    mp3 = (ASSETS_DIR / "audio.mp3").read_bytes()
    assert mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0)
    assert b"OpusHead" in (ASSETS_DIR / "voice.ogg").read_bytes()[:200]
    assert b"webm" in (ASSETS_DIR / "video_sticker.webm").read_bytes()[:64]
    for name in ("round.mp4", "video.mp4", "gif.mp4"):
        assert b"avc1" in (ASSETS_DIR / name).read_bytes()
    lottie = json.loads(gzip.decompress((ASSETS_DIR / "animated_sticker.tgs").read_bytes()))
    assert lottie["w"] == lottie["h"] == 512 and lottie["layers"] and lottie["op"] > lottie["ip"]


def test_seeded_bytes_are_deterministic_and_range_exact():
    blob = seed_blob(1, 2, 1_000_003, seed=42)
    whole = read_blob(blob, 0, 2_000_000)
    assert len(whole) == 1_000_003
    assert whole == read_blob(seed_blob(9, 4, 1_000_003, seed=42), 0, 1 << 30)
    assert whole != read_blob(seed_blob(1, 2, 1_000_003, seed=43), 0, 1 << 30)
    chunks = b"".join(read_blob(blob, off, 4096) for off in range(0, blob.size, 4096))
    assert chunks == whole
    rng = random.Random(1)
    for _ in range(200):
        off, n = rng.randrange(0, blob.size + 100), rng.randrange(0, 70_000)
        assert read_blob(blob, off, n) == whole[off:off + n]
    assert read_blob(blob, blob.size, 10) == b"" and read_blob(blob, 5, 0) == b""
    assert len(set(whole[:4096])) > 200  # looks random
    with pytest.raises(ValueError):
        read_blob(blob, -1, 10)


def test_huge_seeded_file_is_cheap():
    blob = seed_blob(1, 2, 64 * 1024 * 1024, seed=5)
    # Cheap: a read far into a 64 MB file makes only what it returns.
    tracemalloc.start()
    try:
        tail = read_blob(blob, blob.size - 524_288 + 100, 524_288)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak
    assert len(tail) == 524_288 - 100
    assert tail[-50:] == read_blob(blob, blob.size - 50, 50)


def test_media_objects_and_their_files():
    b = WorldBuilder(seed=3)
    photo, voice, video = b.photo(), b.voice(), b.video(dc_id=5)
    doc = b.document(size=300_000, file_name="a.zip", mime_type="application/zip", dc_id=1)
    w = b.build()
    assert w.media(photo.id) is photo and w.media(12345) is None
    sizes = {t: w.media_file(photo.id, t) for t in ("s", "m", "x")}
    assert len({blob.id for blob in sizes.values()}) == 3
    assert [(s.type, s.w, s.h) for s in photo.sizes] == [("s", 90, 68), ("m", 320, 240),
                                                          ("x", 800, 600)]
    for blob in sizes.values():
        data = w.read_file(blob, 0, 1 << 20)
        assert data[:3] == b"\xff\xd8\xff" and len(data) == blob.size
        assert blob.dc_id == photo.dc_id
    assert w.media_file(photo.id) is sizes["x"] and w.media_file(photo.id, "q") is None
    assert w.read_file(w.media_file(voice.id), 0, 4) == b"OggS"
    assert voice.mime_type == "audio/ogg" and voice.duration == 2.0
    thumb = w.media_file(video.id, "m")
    assert thumb is not None and w.read_file(thumb, 0, 2) == b"\xff\xd8"
    assert video.dc_id == 5 and w.media_file(video.id).dc_id == 5
    assert w.media_file(doc.id).size == 300_000 and doc.file_name == "a.zip"
    assert len(w.read_file(w.media_file(doc.id), 299_990, 100)) == 10


def test_media_spread_over_dcs_with_valid_hashes():
    b = WorldBuilder(seed=4, home_dc=2)
    made = [b.photo() for _ in range(5)] + [b.gif(), b.audio(), b.sticker(),
                                            b.animated_sticker(), b.video_sticker(),
                                            b.round_video()]
    assert [m.dc_id for m in made[:5]] == [2, 1, 3, 4, 5]
    assert len({m.id for m in made}) == len(made)
    for m in made:
        assert m.access_hash != 0 and -(1 << 63) <= m.access_hash < (1 << 63)
        assert m.file_reference and isinstance(m.file_reference, bytes)
    again = WorldBuilder(seed=4, home_dc=2)
    assert [again.photo() for _ in range(5)] == made[:5]  # deterministic
    with pytest.raises(ValueError):
        b.photo(dc_id=9)


def test_access_hashes_are_deterministic_and_distinct():
    assert access_hash(1, "user", 5) == access_hash(1, "user", 5)
    values = {access_hash(s, k, i) for s in (1, 2) for k in ("user", "channel") for i in range(300)}
    assert len(values) == 1200 and 0 not in values
    assert file_reference(1, 7) != file_reference(2, 7) and file_reference(1, 7)
    b = WorldBuilder(seed=9)
    u = b.user(first_name="X")
    c = b.channel("C")
    assert u.access_hash == access_hash(9, "user", u.id)
    assert c.access_hash == access_hash(9, "channel", c.id)


def test_synthetic_media_resolve_and_download():
    b = WorldBuilder(seed=6)
    chat = b.synthetic_channel("Big", count=10_000, media_every=10)
    w = b.build()
    msgs = w.get_history(chat.key, offset_id=9_000, limit=30).messages
    with_media = [m for m in msgs if m.media]
    assert len(with_media) == 3
    kinds = {m.media.kind for m in w.get_history(chat.key, limit=100).messages if m.media}
    assert kinds == {"photo", "document"}
    dcs = set()
    for m in with_media:
        media = w.media(m.media.id)
        assert media == m.media and media.access_hash and media.file_reference
        blob = w.media_file(media.id, "x" if media.kind == "photo" else "")
        data = w.read_file(blob, 0, 1 << 20)
        assert len(data) == min(blob.size, 1 << 20)
        dcs.add(blob.dc_id)
    assert len(dcs) > 1
    assert w.media(with_media[0].media.id + 1) is None  # no media on that message


PROBED = {  # asset -> (codec, width, height) of its first stream, per ffprobe
    "photo_s.jpg": ("mjpeg", 90, 68), "photo_m.jpg": ("mjpeg", 320, 240),
    "photo_x.jpg": ("mjpeg", 800, 600), "thumb_square.jpg": ("mjpeg", 90, 90),
    "thumb_wide.jpg": ("mjpeg", 320, 180), "voice.ogg": ("opus", None, None),
    "round.mp4": ("h264", 240, 240), "video.mp4": ("h264", 320, 180),
    "gif.mp4": ("h264", 240, 180), "audio.mp3": ("mp3", None, None),
    "sticker.webp": ("webp", 512, 512), "video_sticker.webm": ("vp9", 512, 512),
}


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe")
def test_assets_decode_as_what_they_claim():
    for name, (codec, w, h) in PROBED.items():
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "json", str(ASSETS_DIR / name)], capture_output=True, check=True, text=True)
        streams = json.loads(out.stdout)["streams"]
        first = streams[0]
        assert (first["codec_name"], first.get("width"), first.get("height")) == (codec, w, h)
        if name in ("round.mp4", "video.mp4"):
            assert [s["codec_name"] for s in streams] == ["h264", "aac"]
