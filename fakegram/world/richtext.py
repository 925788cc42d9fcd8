"""Build message text with entities without counting UTF-16 units by hand.

    t = RichText().add("Hello ").add("world", "bold", "italic")
    t.add(" see ").add("docs", "text_url", url="https://example.org")
    msg = builder.message(chat, **t.kw())

`add` appends text covered by entities of the given kinds; `mark` covers an
existing range (for nested or overlapping entities); positions are UTF-16
code units, as Telegram counts them (an emoji outside the BMP is 2).
"""
from __future__ import annotations

from .model import Entity


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class RichText:
    """Text plus entities, appended piece by piece."""

    def __init__(self, text: str = ""):
        self.text = ""
        self.entities: list[Entity] = []
        if text:
            self.add(text)

    @property
    def pos(self) -> int:
        """The current end, in UTF-16 code units."""
        return utf16_len(self.text)

    def add(self, text: str, *kinds: str, **attrs) -> RichText:
        """Append `text`, covered by one entity per kind (attrs such as url,
        language, user_id, document_id, collapsed go to each)."""
        start = self.pos
        self.text += text
        for kind in kinds:
            self.mark(kind, start, utf16_len(text), **attrs)
        return self

    def mark(self, kind: str, offset: int, length: int, **attrs) -> RichText:
        """Cover [offset, offset+length) with an entity of `kind`."""
        if offset < 0 or length <= 0 or offset + length > self.pos:
            raise ValueError(f"entity {kind} [{offset}, +{length}) outside the text")
        self.entities.append(Entity(kind, offset, length, **attrs))
        return self

    def kw(self) -> dict:
        """text= and entities= keywords for WorldBuilder.message."""
        ents = sorted(self.entities, key=lambda e: (e.offset, -e.length))
        return {"text": self.text, "entities": ents}
