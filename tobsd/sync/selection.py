"""Which chats to sync: the config's `[[chats]]` entries, resolved through the
Telegram source, plus every dialog that `[sync] all = true` selects."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from tobsd.core.config import Config
from tobsd.core.config_chats import ChatConfig, ChatRef
from tobsd.core.errors import ChatUnavailable
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


async def select_chats(config: Config, source: TelegramSource) -> tuple[list[Selected], list[Unresolved]]:
    chosen: dict[int, Selected] = {}
    failed: list[Unresolved] = []
    for entry in config.chats:
        try:
            chat = await source.resolve(ref_value(entry.ref))
        except ChatUnavailable as exc:
            log.warning("chat %s: %s", entry.ref, exc)
            failed.append(Unresolved(entry.ref, str(exc)))
            continue
        chosen[chat.id] = Selected(chat, entry)
    if config.sync.all:
        defaults = ChatConfig(ref=ChatRef(title="*"), media=config.sync.media,
                              remove_deleted=config.sync.remove_deleted)
        for chat in await source.dialogs():
            names = [chat.title, f"@{chat.username}" if chat.username else ""]
            kinds = [CONFIG_KINDS[chat.kind]] + (["archived"] if chat.archived else [])
            if chat.id not in chosen and config.sync.selects(kinds, names):
                chosen[chat.id] = Selected(chat, defaults)
    return list(chosen.values()), failed
