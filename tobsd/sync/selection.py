"""Which chats to sync: the config's `[[chats]]` entries, resolved through the
Telegram source, plus every dialog that `[sync] all = true` selects."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from tobsd.core.config import Config
from tobsd.core.config_chats import ChatConfig, ChatRef
from tobsd.core.errors import ChatUnavailable, NeedsLogin
from tobsd.core.models import Chat, ChatKind
from tobsd.core.ports import TelegramSource

log = logging.getLogger(__name__)

# The config's plural kinds for each chat kind (see SyncConfig.selects).
CONFIG_KINDS = {
    ChatKind.USER: "users", ChatKind.BOT: "bots", ChatKind.GROUP: "groups",
    ChatKind.SUPERGROUP: "groups", ChatKind.FORUM: "groups", ChatKind.CHANNEL: "channels",
}


@dataclass
class Selected:
    chat: Chat
    options: ChatConfig


@dataclass
class Unresolved:
    ref: ChatRef
    error: str


def ref_value(ref: ChatRef) -> str | int:
    """The value TelegramSource.resolve takes for a config reference."""
    if ref.username is not None:
        return "@" + ref.username
    if ref.id is not None:
        return ref.id
    return ref.title or ""


def known_chat(ref: ChatRef, known: Sequence[Chat]) -> Chat | None:
    """A chat tracked before that this reference names (by id, @username or
    title), so a restart does not ask Telegram to resolve it again."""
    for chat in known:
        if ref.id is not None and chat.id == ref.id:
            return chat
        if ref.username is not None and chat.username and \
                chat.username.casefold() == ref.username.casefold():
            return chat
        if ref.title is not None and chat.title == ref.title:
            return chat
    return None


def chat_from_row(row) -> Chat:
    """A Chat from the store's chats table (what the last run knew of it)."""
    link = f"https://t.me/{row.username}" if row.username else None
    return Chat(id=row.id, kind=ChatKind(row.kind), title=row.title, username=row.username,
                link=link)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ChatUnavailable):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def select_chats(config: Config, source: TelegramSource,
                       known: Sequence[Chat] = ()) -> tuple[list[Selected], list[Unresolved]]:
    """The chats to sync, and the references that could not be resolved with
    the reason. `known` are chats tracked before (from the store): a
    reference to one of them costs no request.

    A reference that fails in any way (Telegram refuses it, does not know
    it, answers an unexpected error) is reported and the others go on; only
    NeedsLogin (and cancellation) ends the selection."""
    chosen: dict[int, Selected] = {}
    failed: list[Unresolved] = []
    for entry in config.chats:
        try:
            chat = known_chat(entry.ref, known) or await source.resolve(ref_value(entry.ref))
        except NeedsLogin:
            raise
        except ChatUnavailable as exc:
            log.warning("chat %s not synced: %s", entry.ref, exc)
            failed.append(Unresolved(entry.ref, _reason(exc)))
            continue
        except Exception as exc:
            log.warning("chat %s could not be resolved", entry.ref, exc_info=True)
            failed.append(Unresolved(entry.ref, _reason(exc)))
            continue
        chosen[chat.id] = Selected(chat, entry)
    if config.sync.all:
        defaults = ChatConfig(ref=ChatRef(title="*"), media=config.sync.media,
                              remove_deleted=config.sync.remove_deleted)
        try:
            dialogs = await source.dialogs()
        except NeedsLogin:
            raise
        except Exception as exc:
            log.warning("the dialog list could not be read", exc_info=True)
            failed.append(Unresolved(ChatRef(title="[sync] all"), _reason(exc)))
            dialogs = []
        for chat in dialogs:
            names = [chat.title, f"@{chat.username}" if chat.username else ""]
            kinds = [CONFIG_KINDS[chat.kind]] + (["archived"] if chat.archived else [])
            if chat.id not in chosen and config.sync.selects(kinds, names):
                chosen[chat.id] = Selected(chat, defaults)
    return list(chosen.values()), failed
