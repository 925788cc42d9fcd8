"""Photo and document `Media` objects backed by shipped assets or seeded bytes.

Pure constructors: the caller picks the media id, DC and blob ids (the
builder from counters, synthetic histories from the message id), so the same
inputs always give the same object.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .files import asset_blob, seed_blob
from .ids import access_hash, file_reference, seed_int
from .model import Media, PhotoSize

NextBlobId = Callable[[], int]

# One photo's sizes: (type, w, h, asset).
PHOTO_SIZES = (("s", 90, 68, "photo_s.jpg"), ("m", 320, 240, "photo_m.jpg"),
               ("x", 800, 600, "photo_x.jpg"))


@dataclass(frozen=True, slots=True)
class AssetKind:
    """How one document-like media kind looks: its file and attributes."""
    asset: str
    file_name: str | None
    w: int = 0
    h: int = 0
    duration: float = 0.0
    thumb: tuple[str, int, int, str] | None = None  # (type, w, h, asset)
    emoji: str = ""
    title: str = ""
    performer: str = ""


_WIDE = ("m", 320, 180, "thumb_wide.jpg")
_SQUARE = ("s", 90, 90, "thumb_square.jpg")

ASSET_KINDS: dict[str, AssetKind] = {
    "voice": AssetKind("voice.ogg", None, duration=2.0),
    "round": AssetKind("round.mp4", None, 240, 240, 2.0, _SQUARE),
    "video": AssetKind("video.mp4", "harbour_walk.mp4", 320, 180, 2.0, _WIDE),
    "gif": AssetKind("gif.mp4", "cat_typing.gif.mp4", 240, 180, 2.0, _WIDE),
    "audio": AssetKind("audio.mp3", "night_drive.mp3", duration=3.0,
                       title="Night Drive", performer="The Analytical Engines"),
    "sticker": AssetKind("sticker.webp", "sticker.webp", 512, 512, emoji="👍"),
    "animated_sticker": AssetKind("animated_sticker.tgs", "AnimatedSticker.tgs",
                                  512, 512, 1.0, emoji="🎉"),
    "video_sticker": AssetKind("video_sticker.webm", "sticker.webm", 512, 512, 1.0,
                               emoji="😎"),
}


def photo(seed: int, media_id: int, dc_id: int, next_blob_id: NextBlobId,
          date: int = 0) -> Media:
    """A photo with sizes "s" (90x68), "m" (320x240) and "x" (800x600)."""
    sizes = [PhotoSize(t, w, h, asset_blob(next_blob_id(), dc_id, name))
             for t, w, h, name in PHOTO_SIZES]
    return Media(kind="photo", id=media_id, access_hash=access_hash(seed, "photo", media_id),
                 file_reference=file_reference(seed, media_id), dc_id=dc_id,
                 sizes=sizes, mime_type="image/jpeg", w=800, h=600, date=date)


def asset_document(kind: str, seed: int, media_id: int, dc_id: int,
                   next_blob_id: NextBlobId, date: int = 0, **overrides) -> Media:
    """A document of one of ASSET_KINDS (voice, round, video, ...), its bytes
    the shipped asset. `overrides` replace Media fields (title, emoji, ...)."""
    spec = ASSET_KINDS[kind]
    main = asset_blob(next_blob_id(), dc_id, spec.asset)
    sizes = []
    if spec.thumb:
        t, w, h, name = spec.thumb
        sizes.append(PhotoSize(t, w, h, asset_blob(next_blob_id(), dc_id, name)))
    media = Media(kind=kind, id=media_id, access_hash=access_hash(seed, "document", media_id),
                  file_reference=file_reference(seed, media_id), dc_id=dc_id,
                  file=main, sizes=sizes, mime_type=main.mime_type,
                  file_name=spec.file_name, duration=spec.duration, w=spec.w, h=spec.h,
                  title=spec.title, performer=spec.performer, emoji=spec.emoji, date=date)
    for name, value in overrides.items():
        setattr(media, name, value)
    return media


def seeded_document(seed: int, media_id: int, dc_id: int, next_blob_id: NextBlobId,
                    size: int, file_name: str, mime_type: str, date: int = 0) -> Media:
    """A plain document (kind "document") of `size` deterministic bytes."""
    blob = seed_blob(next_blob_id(), dc_id, size, seed_int(seed, "doc", media_id), mime_type)
    return Media(kind="document", id=media_id, access_hash=access_hash(seed, "document", media_id),
                 file_reference=file_reference(seed, media_id), dc_id=dc_id, file=blob,
                 mime_type=mime_type, file_name=file_name, date=date)


def files_of(media: Media) -> dict[str, object]:
    """thumb type -> FileBlob for everything downloadable in `media`; the
    document's own file is under ""."""
    out: dict[str, object] = {s.type: s.file for s in media.sizes}
    if media.file is not None:
        out[""] = media.file
    return out
