"""Animated stickers (.tgs: gzipped Lottie JSON) as animated WebP.

Rendered with rlottie (the `rlottie-python` package, the extra
`tobs[stickers]`, which ships Samsung's rlottie library, the renderer the
Telegram apps use), frame by frame into ffmpeg's animated-WebP encoder
(libwebp_anim), which Obsidian shows like an image.

Without the extra there is no Lottie renderer, and the fallback is honest
about it: a plain static WebP the size of the sticker's canvas (a light
grey square made by ffmpeg), so the note's embed resolves to a real image,
and an error line that says how to get the animation.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import ffmpeg

from tobsd.media.process.runner import Runner
from tobsd.media.process.video import command

#: Telegram caps .tgs files at 64 KB; a decompressed animation far beyond
#: this is not a sticker (and must not exhaust memory).
MAX_LOTTIE_BYTES = 8 * 1024 * 1024
MAX_SIDE = 512
MAX_FPS = 30
MAX_FRAMES = 10 * MAX_FPS      # Telegram's stickers last at most 3 s


class StickerError(Exception):
    """The .tgs file is not a Lottie animation."""


def read_tgs(path: Path) -> dict:
    """The Lottie document in a .tgs file; StickerError when it is not one."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_LOTTIE_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise StickerError(f"{path.name} is not a gzipped file: {exc}") from None
    if len(raw) > MAX_LOTTIE_BYTES:
        raise StickerError(f"{path.name} unpacks to more than {MAX_LOTTIE_BYTES // 2**20} MB")
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise StickerError(f"{path.name} does not hold JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
        raise StickerError(f"{path.name} is not a Lottie animation (no layers)")
    return doc


def canvas(doc: dict) -> tuple[int, int]:
    """The sticker's size, at most 512 on a side."""
    try:
        w, h = int(doc.get("w", MAX_SIDE)), int(doc.get("h", MAX_SIDE))
    except (TypeError, ValueError):
        w = h = MAX_SIDE
    w, h = max(1, w), max(1, h)
    scale = min(1.0, MAX_SIDE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def type_first(node):
    """`node` with every object's "ty" key first. JSON objects are unordered,
    but rlottie reads a shape's type only when it comes first: a sticker
    written with sorted keys would otherwise render blank."""
    if isinstance(node, dict):
        return {k: type_first(node[k]) for k in sorted(node, key=lambda k: k != "ty")}
    if isinstance(node, list):
        return [type_first(item) for item in node]
    return node


def renderer_available() -> bool:
    try:
        import rlottie_python  # noqa: F401
    except ImportError:
        return False
    return True


def render_command(dst: Path, width: int, height: int, fps: int) -> list[str]:
    """ffmpeg's argv turning raw BGRA frames on stdin into an animated WebP that loops."""
    graph = ffmpeg.input("pipe:0", f="rawvideo", pix_fmt="bgra", s=f"{width}x{height}", r=fps).output(
        str(dst), f="webp", vcodec="libwebp_anim", lossless=0, quality=80, loop=0)
    return command(graph)


def render_webp(doc: dict, dst: Path, runner: Runner, timeout: float) -> None:
    """Render `doc` frame by frame with rlottie into ffmpeg's animated-WebP
    encoder (one frame in memory at a time; at most 30 frames a second)."""
    from rlottie_python import LottieAnimation

    w, h = canvas(doc)
    anim = LottieAnimation.from_data(json.dumps(type_first(doc)))
    if anim is None or anim.lottie_animation_get_totalframe() <= 0:
        raise StickerError("the Lottie renderer could not load the animation")
    fps = max(1, min(MAX_FPS, round(anim.lottie_animation_get_framerate() or MAX_FPS)))
    count = max(1, min(MAX_FRAMES, int(anim.lottie_animation_get_duration() * fps)))

    def frames():
        for i in range(count):
            frame_num = anim.lottie_animation_get_frame_at_pos(i / count)
            yield bytes(anim.lottie_animation_render(frame_num=frame_num, width=w, height=h))

    runner.feed(render_command(dst, w, h, fps), frames(), timeout)


def placeholder_command(doc: dict | None, dst: Path) -> list[str]:
    """ffmpeg's argv for the fallback still: a light grey square of the canvas size."""
    w, h = canvas(doc or {})
    graph = ffmpeg.input(f"color=c=0xE0E0E0:s={w}x{h}:d=0.04", f="lavfi").output(
        str(dst), f="webp", vcodec="libwebp", vframes=1)
    return command(graph)


def placeholder(runner: Runner, doc: dict | None, dst: Path, timeout: float) -> None:
    runner.run(placeholder_command(doc, dst), timeout)
