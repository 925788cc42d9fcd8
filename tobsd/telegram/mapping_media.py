"""Telethon MessageMedia* -> core `MediaRef`, for every media kind.

Downloadable media (photos, documents of every flavour) get a `file_id` of
the form "<chat_id>:<msg_id>": the media downloader refetches the message by
it, which also renews an expired file reference. Media this layer does not
know become UNKNOWN with the raw type name, so the vault can name it.
"""
from __future__ import annotations

from telethon import utils
from telethon.tl import types

from tobsd.core.models import MediaKind, MediaRef, PollAnswer


def file_id_for(chat_id: int, msg_id: int) -> str:
    """The opaque id a downloadable attachment is fetched by later."""
    return f"{chat_id}:{msg_id}"


def parse_file_id(file_id: str) -> tuple[int, int]:
    """(chat_id, msg_id) back from `file_id_for`; ValueError when malformed."""
    chat, _, msg = file_id.rpartition(":")
    return int(chat), int(msg)


def _text(value) -> str:
    """Plain text of a str or a TextWithEntities (newer layers use the latter)."""
    return value if isinstance(value, str) else getattr(value, "text", "") or ""


def _largest_photo_size(photo):
    best = None
    for size in getattr(photo, "sizes", None) or ():
        if isinstance(size, types.PhotoSize):
            dims, nbytes = (size.w, size.h), size.size
        elif isinstance(size, types.PhotoSizeProgressive):
            dims, nbytes = (size.w, size.h), max(size.sizes or [0])
        elif isinstance(size, types.PhotoCachedSize):
            dims, nbytes = (size.w, size.h), len(size.bytes)
        else:
            continue
        if best is None or dims[0] * dims[1] > best[0][0] * best[0][1]:
            best = (dims, nbytes)
    return best


def _photo(media, file_id: str) -> MediaRef:
    photo = media.photo
    ref = MediaRef(MediaKind.PHOTO, type_name="MessageMediaPhoto", mime="image/jpeg")
    if isinstance(photo, types.Photo):
        ref.file_id = file_id
        ref.media_key = f"photo:{photo.id}"
        best = _largest_photo_size(photo)
        if best is not None:
            (ref.width, ref.height), ref.size = best
    return ref


def _document_kind(document, attrs) -> MediaKind:
    by_type = {type(a): a for a in attrs}
    mime = document.mime_type or ""
    if types.DocumentAttributeSticker in by_type:
        if mime == "application/x-tgsticker":
            return MediaKind.ANIMATED_STICKER
        if mime == "video/webm" or types.DocumentAttributeVideo in by_type:
            return MediaKind.VIDEO_STICKER
        return MediaKind.STICKER
    if types.DocumentAttributeAnimated in by_type:
        return MediaKind.GIF
    audio = by_type.get(types.DocumentAttributeAudio)
    if audio is not None:
        return MediaKind.VOICE if audio.voice else MediaKind.AUDIO
    video = by_type.get(types.DocumentAttributeVideo)
    if video is not None:
        return MediaKind.ROUND if video.round_message else MediaKind.VIDEO
    return MediaKind.DOCUMENT


def _document(media, file_id: str) -> MediaRef:
    document = media.document
    if not isinstance(document, types.Document):
        return MediaRef(MediaKind.DOCUMENT, type_name="MessageMediaDocument")
    attrs = list(document.attributes or ())
    ref = MediaRef(_document_kind(document, attrs), type_name="MessageMediaDocument",
                   file_id=file_id, mime=document.mime_type or None, size=document.size,
                   media_key=f"document:{document.id}")
    for a in attrs:
        if isinstance(a, types.DocumentAttributeFilename):
            ref.file_name = a.file_name
        elif isinstance(a, (types.DocumentAttributeVideo, types.DocumentAttributeAudio)):
            ref.duration = float(a.duration) if a.duration is not None else None
            if isinstance(a, types.DocumentAttributeVideo):
                ref.width, ref.height = a.w, a.h
            else:
                ref.title = a.title or None
        elif isinstance(a, types.DocumentAttributeImageSize):
            ref.width, ref.height = a.w, a.h
        elif isinstance(a, types.DocumentAttributeSticker):
            ref.emoji = a.alt or None
    return ref


def _poll(media) -> MediaRef:
    poll, results = media.poll, media.results
    by_option = {r.option: r for r in (getattr(results, "results", None) or ())}
    answers = []
    for answer in poll.answers:
        r = by_option.get(answer.option)
        answers.append(PollAnswer(text=_text(answer.text),
                                  voters=r.voters if r is not None else None,
                                  chosen=bool(r and r.chosen), correct=bool(r and r.correct)))
    return MediaRef(MediaKind.POLL, type_name="MessageMediaPoll",
                    poll_question=_text(poll.question), poll_answers=tuple(answers),
                    poll_total_voters=getattr(results, "total_voters", None),
                    poll_closed=bool(poll.closed), poll_quiz=bool(poll.quiz))


def _geo(media, kind: MediaKind) -> MediaRef:
    ref = MediaRef(kind, type_name=type(media).__name__)
    geo = media.geo
    if isinstance(geo, types.GeoPoint):
        ref.latitude, ref.longitude = geo.lat, geo.long
    return ref


def _webpage(media) -> MediaRef:
    page = media.webpage
    return MediaRef(MediaKind.WEBPAGE, type_name="MessageMediaWebPage",
                    url=getattr(page, "url", None), title=getattr(page, "title", None),
                    description=getattr(page, "description", None),
                    site_name=getattr(page, "site_name", None))


def map_media(media, chat_id: int, msg_id: int) -> MediaRef | None:
    """The MediaRef of a message's media (None for no media)."""
    if media is None or isinstance(media, types.MessageMediaEmpty):
        return None
    file_id = file_id_for(chat_id, msg_id)
    if isinstance(media, types.MessageMediaPhoto):
        return _photo(media, file_id)
    if isinstance(media, types.MessageMediaDocument):
        return _document(media, file_id)
    if isinstance(media, types.MessageMediaVenue):
        ref = _geo(media, MediaKind.VENUE)
        ref.title, ref.address = media.title, media.address
        return ref
    if isinstance(media, (types.MessageMediaGeo, types.MessageMediaGeoLive)):
        return _geo(media, MediaKind.GEO)
    if isinstance(media, types.MessageMediaContact):
        name = f"{media.first_name or ''} {media.last_name or ''}".strip()
        return MediaRef(MediaKind.CONTACT, type_name="MessageMediaContact", contact_name=name,
                        phone=media.phone_number or None, contact_user_id=media.user_id or None)
    if isinstance(media, types.MessageMediaPoll):
        return _poll(media)
    if isinstance(media, types.MessageMediaDice):
        return MediaRef(MediaKind.DICE, type_name="MessageMediaDice", emoji=media.emoticon,
                        value=media.value)
    if isinstance(media, types.MessageMediaWebPage):
        return _webpage(media)
    if isinstance(media, types.MessageMediaGame):
        return MediaRef(MediaKind.GAME, type_name="MessageMediaGame", title=media.game.title,
                        description=media.game.description)
    if isinstance(media, types.MessageMediaInvoice):
        return MediaRef(MediaKind.INVOICE, type_name="MessageMediaInvoice", title=media.title,
                        description=media.description, amount=media.total_amount,
                        currency=media.currency)
    if isinstance(media, types.MessageMediaStory):
        return MediaRef(MediaKind.STORY, type_name="MessageMediaStory", story_id=media.id,
                        peer_id=utils.get_peer_id(media.peer))
    return MediaRef(MediaKind.UNKNOWN, type_name=type(media).__name__)
