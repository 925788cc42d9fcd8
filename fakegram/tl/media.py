"""World media -> MessageMedia* objects, for every kind in model.MEDIA_KINDS.

Photos and documents carry the world's id, access_hash, file_reference and
dc_id, so a client can download them with upload.getFile. Document kinds get
the attributes Telegram gives them (voice notes: DocumentAttributeAudio with
voice and a waveform; round videos: DocumentAttributeVideo with
round_message; stickers: DocumentAttributeSticker with an image size; ...).
"""
from __future__ import annotations

import hashlib

from telethon.tl import types

from ..world.model import Media, PhotoSize
from .build import get_type, make, ts

DOCUMENT_KINDS = ("document", "voice", "round", "video", "audio", "gif",
                  "sticker", "animated_sticker", "video_sticker")

# MIME type a document kind has when the world does not say.
DEFAULT_MIME = {
    "voice": "audio/ogg", "round": "video/mp4", "video": "video/mp4",
    "audio": "audio/mpeg", "gif": "video/mp4", "sticker": "image/webp",
    "animated_sticker": "application/x-tgsticker", "video_sticker": "video/webm",
    "document": "application/octet-stream",
}

# File name a sticker has on Telegram when the world does not say.
_STICKER_NAMES = {"sticker": "sticker.webp", "animated_sticker": "AnimatedSticker.tgs",
                  "video_sticker": "sticker.webm"}


def _stripped(media_id: int) -> bytes:
    """A small deterministic PhotoStrippedSize payload (header 0x01, h, w)."""
    return b"\x01\x28\x28" + hashlib.blake2b(str(media_id).encode(), digest_size=24).digest()


def photo_sizes(sizes: list[PhotoSize], media_id: int, stripped: bool) -> list:
    out = [make(types.PhotoStrippedSize, type="i", bytes=_stripped(media_id))] if stripped else []
    out += [make(types.PhotoSize, type=s.type, w=s.w, h=s.h, size=s.file.size) for s in sizes]
    return out


def photo(m: Media):
    """The Photo object of a "photo" media."""
    return make(types.Photo, id=m.id, access_hash=m.access_hash, file_reference=m.file_reference,
                date=ts(m.date), sizes=photo_sizes(m.sizes, m.id, True), dc_id=m.dc_id)


def mime_type(m: Media) -> str:
    return m.mime_type or (m.file.mime_type if m.file else "") or DEFAULT_MIME.get(m.kind, "")


def _waveform(m: Media) -> bytes:
    """63 bytes of 5-bit samples, as voice notes carry; derived from the id."""
    return hashlib.blake2b(f"wave:{m.id}".encode(), digest_size=63).digest()


def _video_attr(m: Media, **extra):
    return make(types.DocumentAttributeVideo, duration=m.duration, w=m.w, h=m.h, **extra)


def _sticker_attr(m: Media):
    return make(types.DocumentAttributeSticker, alt=m.emoji or "",
                stickerset=types.InputStickerSetEmpty())


def _filename(m: Media, default: str | None = None):
    name = m.file_name or default
    return [make(types.DocumentAttributeFilename, file_name=name)] if name else []


def document_attributes(m: Media) -> list:
    kind = m.kind
    if kind == "voice":
        return [make(types.DocumentAttributeAudio, duration=int(round(m.duration)), voice=True,
                     waveform=_waveform(m))] + _filename(m)
    if kind == "audio":
        return [make(types.DocumentAttributeAudio, duration=int(round(m.duration)),
                     title=m.title or None, performer=m.performer or None)] + _filename(m)
    if kind == "round":
        return [_video_attr(m, round_message=True)] + _filename(m)
    if kind == "video":
        return [_video_attr(m, supports_streaming=True)] + _filename(m)
    if kind == "gif":
        return [types.DocumentAttributeAnimated(), _video_attr(m, nosound=True)] + _filename(m)
    if kind in ("sticker", "animated_sticker"):
        return [_sticker_attr(m), make(types.DocumentAttributeImageSize, w=m.w, h=m.h)] + \
            _filename(m, _STICKER_NAMES[kind])
    if kind == "video_sticker":
        return [_sticker_attr(m), _video_attr(m)] + _filename(m, _STICKER_NAMES[kind])
    return _filename(m)


def document(m: Media):
    """The Document object of a document-like media."""
    size = m.file.size if m.file else 0
    return make(types.Document, id=m.id, access_hash=m.access_hash,
                file_reference=m.file_reference, date=ts(m.date), mime_type=mime_type(m),
                size=size, dc_id=m.dc_id, attributes=document_attributes(m),
                thumbs=photo_sizes(m.sizes, m.id, False) or None)


def _geo(m: Media):
    return make(types.GeoPoint, long=m.long, lat=m.lat, access_hash=0)


def _poll(m: Media):
    poll = m.poll
    answers = poll.answers if poll else []
    options = [bytes([i]) for i in range(len(answers))]
    tl_poll = make(types.Poll, id=m.id, question=poll.question if poll else "",
                   answers=[make(types.PollAnswer, text=a.text, option=o)
                            for a, o in zip(answers, options)],
                   closed=bool(poll and poll.closed), public_voters=bool(poll and poll.public_voters),
                   multiple_choice=bool(poll and poll.multiple_choice),
                   quiz=bool(poll and poll.quiz), hash=0)
    results = make(types.PollResults,
                   results=[make(types.PollAnswerVoters, option=o, voters=a.voters,
                                 chosen=a.chosen, correct=a.correct)
                            for a, o in zip(answers, options)],
                   total_voters=poll.total_voters if poll else 0)
    return make(types.MessageMediaPoll, poll=tl_poll, results=results)


def _webpage(m: Media):
    display = m.url.split("://", 1)[-1]
    page = make(types.WebPage, id=m.id, url=m.url, display_url=display, hash=0, type="article",
                site_name=m.site_name or None, title=m.title or None,
                description=m.description or None)
    return make(types.MessageMediaWebPage, webpage=page)


def media(m: Media | None, me: int = 0):
    """The MessageMedia* for `m` (None for no media). `me` is the account's
    user id, used as a story's peer when the world gives none."""
    if m is None:
        return None
    kind = m.kind
    if kind == "photo":
        return make(types.MessageMediaPhoto, photo=photo(m))
    if kind in DOCUMENT_KINDS:
        return make(types.MessageMediaDocument, document=document(m), voice=kind == "voice",
                    round=kind == "round", video=kind in ("video", "round"))
    if kind == "geo":
        return make(types.MessageMediaGeo, geo=_geo(m))
    if kind == "venue":
        return make(types.MessageMediaVenue, geo=_geo(m), title=m.title, address=m.address,
                    provider=m.provider, venue_id=m.venue_id, venue_type="")
    if kind == "contact":
        return make(types.MessageMediaContact, phone_number=m.phone, first_name=m.first_name,
                    last_name=m.last_name, vcard="", user_id=m.user_id)
    if kind == "poll":
        return _poll(m)
    if kind == "dice":
        return make(types.MessageMediaDice, value=m.value, emoticon=m.emoji or "🎲")
    if kind == "webpage":
        return _webpage(m)
    if kind == "game":
        game = make(types.Game, id=m.id, access_hash=m.access_hash, short_name=m.title.lower()[:32],
                    title=m.title, description=m.description, photo=types.PhotoEmpty(id=0))
        return make(types.MessageMediaGame, game=game)
    if kind == "invoice":
        return make(types.MessageMediaInvoice, title=m.title, description=m.description,
                    currency="USD", total_amount=0, start_param="")
    if kind == "story" and get_type("MessageMediaStory") is not None:
        return make(types.MessageMediaStory, peer=types.PeerUser(user_id=m.user_id or me),
                    id=(m.id & 0x7FFFFFFF) or 1, user_id=m.user_id or me)
    return types.MessageMediaUnsupported()
