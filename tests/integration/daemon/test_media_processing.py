"""Media processing end to end: a real tobsd process syncs a fakegram world
of real media (an Opus voice note, a round video, a video, a Lottie .tgs
sticker, a WebM sticker, a photo), downloads them and runs the real ffmpeg
on them. The notes are then read here, with a reader of our own (not the
writer's parser), and every file they embed is checked with ffprobe and
Pillow: the voice note plays as Ogg/Opus, the videos show poster JPEGs,
the animated sticker is a WebP (animated where rlottie is installed), the
chat with `compact = true` gets a compact copy no taller than the profile,
and every link in the vault resolves to a real file."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from fakegram.world import WorldBuilder
from tests.daemonkit import TobsdProcess, write_config
from tests.integration.media.mediakit import ffprobe, stream

MARKER = re.compile(r"^%% tobs:m(\d+)(?:-r\d+)? h=[0-9a-f]{12} t=\d+\+\d+(?: v=\d+)? %%$")
LINK = re.compile(r"(!?)\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]")
COMPACT_HEIGHT = 144   # the fakegram video is 320x180: taller, so it is compacted

TEXTS = {"media": ["a voice note", "a round video", "an animated sticker", "a video sticker",
                   "a photo"],
         "clips": ["a video to compact"]}


def media_world():
    b = WorldBuilder(seed=11)
    media = b.channel("Media", username="mediachan")
    b.message(media, "a voice note", media=b.voice())
    b.message(media, "a round video", media=b.round_video())
    b.message(media, "an animated sticker", media=b.animated_sticker())
    b.message(media, "a video sticker", media=b.video_sticker())
    b.message(media, "a photo", media=b.photo())
    clips = b.channel("Clips", username="clips")
    b.message(clips, "a video to compact", media=b.video())
    return b.build()


def blocks(vault: Path) -> dict[str, list[tuple[str, str]]]:
    """The text of every message block in the Telegram notes, keyed by the
    first line of its message text, as (embed "!" or "", target) pairs."""
    out: dict[str, list[tuple[str, str]]] = {}
    for note in (vault / "Telegram").rglob("*.md"):
        current: list[str] | None = None
        chunks: list[list[str]] = []
        for line in note.read_text(encoding="utf-8").splitlines():
            if MARKER.match(line):
                current = []
                chunks.append(current)
            elif current is not None:
                current.append(line)
        for chunk in chunks:
            text = "\n".join(chunk)
            for key in TEXTS["media"] + TEXTS["clips"]:
                if re.search(rf"^> {re.escape(key)}$", text, re.M):
                    out[key] = LINK.findall(text)
    return out


def embedded(links: list[tuple[str, str]], suffix: str) -> list[str]:
    return [target for bang, target in links if bang and target.endswith(suffix)]


def processed(vault: Path) -> bool:
    """Every message shows what processing makes of it (the condition waited on)."""
    seen = blocks(vault)
    return (len(seen) == 6 and bool(embedded(seen["a voice note"], ".ogg"))
            and bool(embedded(seen["a round video"], ".poster.jpg"))
            and bool(embedded(seen["a video to compact"], ".poster.jpg"))
            and bool(embedded(seen["a video to compact"], ".compact.mp4"))
            and bool(embedded(seen["an animated sticker"], ".webp")))


def all_links(vault: Path) -> list[tuple[str, str]]:
    """(note, target) of every wikilink and embed of every note in the vault."""
    return [(str(note.relative_to(vault)), target)
            for note in vault.rglob("*.md")
            for _, target in LINK.findall(note.read_text(encoding="utf-8"))]


def resolves(vault: Path, target: str) -> bool:
    return (vault / target).is_file() or (vault / f"{target}.md").is_file()


async def test_synced_media_are_processed_into_files_obsidian_shows(make_server, tmp_path):
    world = media_world()
    extra = (f"[processing]\naccelerator = \"cpu\"\nworkers = 2\ncompact_max_height = {COMPACT_HEIGHT}\n"
             '[[chats]]\nchat = "@clips"\ncompact = true\n')
    async with make_server(world) as server:
        config = write_config(tmp_path, server, ["@mediachan"], extra=extra)
        tobsd = TobsdProcess(config).start()
        try:
            vault = tmp_path / "vault"
            # The status is a snapshot refreshed as work lands: waited on too.
            status = await tobsd.wait_for(
                lambda s: s["state"] == "running" and len(s["chats"]) == 2 and processed(vault)
                and int(s["daemon"].get("media", {}).get("files_processed", 0)) >= 4,
                240, "every file processed and shown")
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
    seen = blocks(vault)
    notes = "".join(p.read_text(encoding="utf-8") for p in (vault / "Telegram").rglob("*.md"))
    assert "downloading…" not in notes and "download failed" not in notes

    (playable,) = embedded(seen["a voice note"], ".ogg")
    info = ffprobe(vault / playable)
    assert "ogg" in info["format"]["format_name"].split(",")
    assert stream(info, "audio")["codec_name"] == "opus"
    assert float(info["format"]["duration"]) > 1.0

    for key in ("a round video", "a video to compact"):
        (poster,) = embedded(seen[key], ".poster.jpg")
        picture = stream(ffprobe(vault / poster), "video")
        assert picture["codec_name"] == "mjpeg" and picture["width"] > 0, (key, picture)
    (compact,) = embedded(seen["a video to compact"], ".compact.mp4")
    small = stream(ffprobe(vault / compact), "video")
    assert small["codec_name"] == "h264" and small["height"] <= COMPACT_HEIGHT, small
    # The original stays, linked from the note; a chat without compact gets no copy.
    originals = [t for bang, t in seen["a video to compact"] if not bang and t.endswith(".mp4")]
    assert len(originals) == 1 and stream(ffprobe(vault / originals[0]), "video")["height"] == 180
    assert not list(vault.rglob("*round*.compact.mp4")) and len(list(vault.rglob("*.compact.mp4"))) == 1

    (webp,) = embedded(seen["an animated sticker"], ".webp")
    from PIL import Image
    with Image.open(vault / webp) as image:
        assert image.format == "WEBP" and image.size == (512, 512)
        if importlib.util.find_spec("rlottie_python") is not None:
            assert image.is_animated and image.n_frames > 10
        else:
            assert not getattr(image, "is_animated", False)   # the still fallback
    (webm,) = embedded(seen["a video sticker"], ".webm")
    assert stream(ffprobe(vault / webm), "video")["codec_name"] == "vp9"
    (jpeg,) = embedded(seen["a photo"], ".jpg")
    assert stream(ffprobe(vault / jpeg), "video")["codec_name"] == "mjpeg"

    links = all_links(vault)
    assert len(links) >= 12
    broken = [(note, target) for note, target in links if not resolves(vault, target)]
    assert not broken, broken
    # Processed: the voice note, the two videos and the animated sticker
    # (a WebM sticker and a photo need nothing).
    media = status["daemon"]["media"]
    assert int(media["files_processed"]) == 4 and int(media["files_stored"]) == 6, media
    assert "Traceback" not in tobsd.log()
