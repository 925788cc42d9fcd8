"""File names for downloaded media, with the extension taken from the content.

A file name from Telegram is only a hint for the stem: the extension is chosen
from the first bytes of the file (magic numbers), so a ``.md`` or ``.exe``
named document that is really a JPEG becomes ``.jpg``, and a "photo.jpg" that
is really a PDF becomes ``.pdf``. Content we cannot identify keeps a harmless
text extension only when it looks like UTF-8 text and the declared extension is
a plain-text one; everything else becomes ``.bin`` (never ``.md``: an attached
Markdown file would become a note with unescaped text).
"""

from __future__ import annotations

from tobsd.core.models import MediaRef
from tobsd.vault.names import safe_file_name

SNIFF_BYTES = 64

_TEXT_EXTS = {"txt", "csv", "tsv", "json", "log", "xml", "yaml", "yml", "ini", "srt", "vtt"}
_FTYP_AUDIO = {b"M4A ", b"M4B ", b"M4P "}
_FTYP_MOV = {b"qt  "}


def _ftyp_ext(head: bytes) -> str:
    brand = head[8:12]
    if brand in _FTYP_AUDIO:
        return "m4a"
    if brand in _FTYP_MOV:
        return "mov"
    if brand in (b"heic", b"heix", b"mif1", b"msf1"):
        return "heic"
    if brand == b"avif":
        return "avif"
    if brand.startswith(b"3g"):
        return "3gp"
    return "mp4"


def sniff_extension(head: bytes) -> str | None:
    """The extension for a file whose first bytes are ``head``, or None if unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return _ftyp_ext(head)
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:SNIFF_BYTES] else "mkv"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head.startswith(b"\x1f\x8b"):
        return "tgs"  # Telegram animated stickers are gzipped Lottie JSON
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def attachment_extension(head: bytes, declared_name: str | None) -> str:
    """The extension a file gets in the vault (see module doc)."""
    sniffed = sniff_extension(head)
    if sniffed:
        return sniffed
    declared = (declared_name or "").rsplit(".", 1)
    ext = declared[1].lower() if len(declared) == 2 else ""
    if ext in _TEXT_EXTS and _looks_like_text(head):
        return ext
    return "bin"


#: The extension a MIME type's content gets from `sniff_extension`, for
#: naming a file before its first bytes are here.
_MIME_EXTS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/heic": "heic", "image/avif": "avif", "image/bmp": "bmp",
    "audio/ogg": "ogg", "audio/opus": "ogg", "audio/mpeg": "mp3", "audio/mp3": "mp3",
    "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/flac": "flac", "audio/wav": "wav",
    "audio/x-wav": "wav", "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
    "video/x-matroska": "mkv", "video/3gpp": "3gp", "application/pdf": "pdf",
    "application/x-tgsticker": "tgs", "application/zip": "zip",
}


def expected_extension(mime: str | None, declared_name: str | None) -> str:
    """The extension a file will most likely get once its bytes are sniffed:
    from its MIME type, else a plain-text declared extension, else ``bin``.
    The downloader names a file with it before the download and renames it
    (and rewrites the note) in the rare case the content says otherwise."""
    ext = _MIME_EXTS.get((mime or "").split(";")[0].strip().lower())
    if ext:
        return ext
    declared = (declared_name or "").rsplit(".", 1)
    ext = declared[1].lower() if len(declared) == 2 else ""
    return ext if ext in _TEXT_EXTS else "bin"


def _stem(media: MediaRef) -> str:
    if media.file_name:
        return media.file_name.rsplit(".", 1)[0] if "." in media.file_name else media.file_name
    return media.kind.value


def attachment_name(media: MediaRef, msg_id: int, head: bytes, prefix: str = "") -> str:
    """A safe, unique-per-message file name for ``media`` of message ``msg_id``.

    The stem is the sender's file name (without its extension) or the media
    kind, always prefixed by the message id so two messages never collide
    (and by ``prefix``, the chat's id, in a folder several chats share).
    With ``head`` empty (nothing downloaded yet) the extension is the one the
    MIME type promises (see `expected_extension`).
    """
    ext = attachment_extension(head, media.file_name) if head else \
        expected_extension(media.mime, media.file_name)
    return safe_file_name(f"{prefix}{msg_id}_{_stem(media)}", ext)
