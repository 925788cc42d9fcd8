"""Safe file and folder names for every place a vault may be synced to.

Contract of :func:`safe_component` (one path component, never a path):

* NFC-normalised (macOS and iOS would otherwise show two spellings).
* None of ``\\ / : * " < > ? | # ^ [ ] ` $`` (Windows, Android and Obsidian
  link syntax; a backtick or ``$`` in a wikilink target starts code or
  math), no ``%%`` (a comment: the second ``%`` becomes ``_``), no control
  characters, no bidirectional override characters, no line or paragraph
  separators; each is replaced by ``_``.
* At least one visible character: a name that is only spaces, format
  characters (U+200B, U+2060, ...), combining marks or blank-looking letters
  (U+3164, U+2800, ...) becomes the fallback.
* Never ends in ``.md`` (under case folding and NFKC): a folder named
  ``notes.md`` confuses tools that list a vault's notes; such a name gets
  ``_`` appended.
* No leading dot (Obsidian hides dot files), no leading or trailing space, no
  trailing dot (Windows drops them), whitespace runs collapsed to one space.
* Not a reserved Windows device name (``CON``, ``nul.txt``, ``COM1`` ...):
  those get a ``_`` appended to the stem.
* At most ``max_bytes`` UTF-8 bytes; a longer name is cut on a character
  boundary and gets ``~`` plus 8 hex digits of a hash of the full name, so two
  long names that share a prefix stay distinct.
* Never empty, never ``.`` or ``..``: an empty result becomes the fallback.

It is idempotent: ``safe_component(safe_component(x)) == safe_component(x)``.

Two names are the same name when their :func:`collision_key` is equal: case
folding and NFKC (``Ǆ``/``ǅ``, ``ﬁ``/``fi``), Windows' upper-casing
(``Tıtle``/``Title``) and the characters HFS+ ignores. Folder and note names
are allocated so that no two siblings share a key (see
:class:`~tobsd.vault.paths.VaultLayout`), so no two collide on macOS,
Windows or any case-insensitive file system.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

MAX_COMPONENT_BYTES = 120

_FORBIDDEN = set('\\/:*"<>?|#^[]`$')
# Bidi embeddings/overrides/isolates, line/paragraph separators, BOM, ZW no-break.
_INVISIBLE_HOSTILE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                         "\u2028\u2029\ufeff\u200e\u200f\u061c")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in list("123456789") + ["¹", "²", "³"]
}
_SPACES = re.compile(r"\s+")


def _clean_char(ch: str) -> str:
    if ch in _FORBIDDEN or ch in _INVISIBLE_HOSTILE:
        return "_"
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\n":
        return "_"
    return ch


# The ASCII characters _clean_char replaces: _FORBIDDEN and the controls but tab and newline.
_ASCII_UNSAFE = re.compile('[\\\\/:*"<>?|#^\\[\\]`$\x00-\x08\x0b-\x1f\x7f]')


def _clean(text: str) -> str:
    if text.isascii() and _ASCII_UNSAFE.search(text) is None:
        return text  # the usual name: nothing to replace, no per-character pass
    return "".join(_clean_char(c) for c in text)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _cut_utf8(text: str, max_bytes: int) -> str:
    """Longest prefix of ``text`` whose UTF-8 encoding fits ``max_bytes``."""
    raw = text.encode("utf-8")[:max_bytes]
    return raw.decode("utf-8", "ignore")


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    previous = None
    while previous != text:
        previous = text
        text = text.strip(" ").lstrip(".").rstrip(".")
    return text


def _unreserve(text: str) -> str:
    stem = text.split(".", 1)[0].rstrip(" ")
    if stem.upper() in _RESERVED:
        head, dot, tail = text.partition(".")
        return f"{head}_{dot}{tail}"
    return text


# Letters and symbols that draw nothing (a name of only these looks empty).
_BLANK_LOOKING = set("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
# Format characters HFS+ leaves out when it compares names (and Unicode's
# other default-ignorable ones): not part of a collision key.
_IGNORED_IN_KEYS = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                              "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f"
                              "\ufeff\uffa0\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def _visible(text: str) -> bool:
    """True when ``text`` has a character that draws something."""
    for ch in text:
        if ch in _BLANK_LOOKING:
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LNPS" or cat == "Mc":
            return True
    return False


def collision_key(name: str) -> str:
    """The form under which two names are the same file on some file system (see module doc)."""
    text = _IGNORED_IN_KEYS.sub("", unicodedata.normalize("NFKC", name))
    text = unicodedata.normalize("NFKC", text.upper().casefold())
    return unicodedata.normalize("NFKC", text.casefold())


def safe_component(name: str, *, max_bytes: int = MAX_COMPONENT_BYTES,
                   fallback: str = "untitled") -> str:
    """Turn any Telegram-provided string into one safe path component (see module doc)."""
    text = unicodedata.normalize("NFC", name or "")
    text = _clean(text)
    while "%%" in text:
        text = text.replace("%%", "%_")
    text = _unreserve(_tidy(text))
    if not text or not _visible(text):
        text = fallback
    if collision_key(text).endswith(".md"):
        text += "_"
    if len(text.encode("utf-8")) > max_bytes:
        suffix = "~" + _short_hash(text)
        text = _tidy(_cut_utf8(text, max_bytes - len(suffix))) + suffix
    return text


def safe_file_name(stem: str, ext: str, *, max_bytes: int = MAX_COMPONENT_BYTES,
                   fallback: str = "file") -> str:
    """A safe ``stem.ext`` whose total length fits ``max_bytes``; ``ext`` is trusted (no dot)."""
    ext = ext.lstrip(".")
    room = max_bytes - (len(ext.encode()) + 1 if ext else 0)
    base = safe_component(stem, max_bytes=room, fallback=fallback)
    return f"{base}.{ext}" if ext else base


def with_suffix(name: str, suffix: str, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """``name (suffix)`` kept within ``max_bytes``: used to break a name collision."""
    tail = f" ({suffix})"
    room = max_bytes - len(tail.encode("utf-8"))
    base = name if len(name.encode("utf-8")) <= room else _tidy(_cut_utf8(name, room))
    return safe_component(base + tail, max_bytes=max_bytes)


@functools.lru_cache(maxsize=4096)  # media paths repeat their folders in every message
def is_safe_component(name: str) -> bool:
    """True when ``name`` is already in the form :func:`safe_component` produces."""
    return bool(name) and safe_component(name) == name
