"""Animated stickers (.tgs: gzipped Lottie JSON) as animated WebP.

Rendered with rlottie (the `rlottie-python` package, the extra
`tobs[stickers]`, which ships Samsung's rlottie library) into Pillow frames
saved as an animated WebP, which Obsidian shows like an image.

Without the extra there is no Lottie renderer, and the fallback is honest
about it: a plain static WebP the size of the sticker's canvas (a light
grey square made by ffmpeg), so the note's embed resolves to a real image,
and an error line that says how to get the animation. When rlottie is there
but Pillow cannot write animated WebP, the sticker's first frame is saved
as a static WebP.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import ffmpeg

from tobsd.core.media import DerivedRole
from tobsd.media.process.runner import Runner
from tobsd.media.process.video import command

#: Telegram caps .tgs files at 64 KB; a decompressed animation far beyond
#: this is not a sticker (and must not exhaust memory).
MAX_LOTTIE_BYTES = 8 * 1024 * 1024
MAX_SIDE = 512
MAX_FPS = 30


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
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def render_webp(doc: dict, dst: Path) -> str:
    """Render `doc` into `dst` (a .webp path); the role of what was written."""
    from PIL import features
    from rlottie_python import LottieAnimation

    w, h = canvas(doc)
    anim = LottieAnimation.from_data(json.dumps(type_first(doc)))
    if anim is None or anim.lottie_animation_get_totalframe() <= 0:
        raise StickerError("the Lottie renderer could not load the animation")
    fps = max(1, min(MAX_FPS, round(anim.lottie_animation_get_framerate() or MAX_FPS)))
    if features.check("webp") and _animated_webp_supported():
        anim.save_animation(str(dst), fps=fps, width=w, height=h, format="WEBP", lossless=False,
                            quality=80, method=4)
        return DerivedRole.ANIMATION
    frame = anim.render_pillow_frame(frame_num=0, width=w, height=h)
    frame.save(str(dst), format="WEBP")
    return DerivedRole.STILL


def _animated_webp_supported() -> bool:
    from PIL import Image
    try:
        buf = io.BytesIO()
        first = Image.new("RGBA", (2, 2))
        first.save(buf, format="WEBP", save_all=True, append_images=[Image.new("RGBA", (2, 2))])
        return True
    except Exception:
        return False


def placeholder_command(doc: dict | None, dst: Path) -> list[str]:
    """ffmpeg's argv for the fallback still: a light grey square of the canvas size."""
    w, h = canvas(doc or {})
    graph = ffmpeg.input(f"color=c=0xE0E0E0:s={w}x{h}:d=0.04", f="lavfi").output(
        str(dst), f="webp", vcodec="libwebp", vframes=1)
    return command(graph)


def placeholder(runner: Runner, doc: dict | None, dst: Path, timeout: float) -> None:
    runner.run(placeholder_command(doc, dst), timeout)
