"""Telethon MessageAction* -> core `ServiceAction`, for every action kind.

Actions this layer does not know become UNKNOWN with the raw type name, so
the vault shows "(service message: MessageActionX)" instead of nothing.
"""
from __future__ import annotations

from telethon import utils
from telethon.tl import types

from tobsd.core.models import ActionKind, Person, ServiceAction

from .mapping_peers import Entities, person_by_id

_BARE = {
    types.MessageActionChatDeletePhoto: ActionKind.PHOTO_DELETE,
    types.MessageActionScreenshotTaken: ActionKind.SCREENSHOT,
    types.MessageActionHistoryClear: ActionKind.HISTORY_CLEAR,
    types.MessageActionChatJoinedByRequest: ActionKind.JOIN_BY_REQUEST,
}

_REASONS = {
    types.PhoneCallDiscardReasonMissed: "missed",
    types.PhoneCallDiscardReasonDisconnect: "disconnect",
    types.PhoneCallDiscardReasonHangup: "hangup",
    types.PhoneCallDiscardReasonBusy: "busy",
}


def _people(ids, entities: Entities) -> tuple[Person, ...]:
    return tuple(person_by_id(i, entities) for i in ids or ())


def map_action(action, entities: Entities, reply_to_msg_id: int | None = None,
               ) -> ServiceAction:
    """The ServiceAction of a service message. `reply_to_msg_id` is the
    message's reply header id (a pin names the pinned message there)."""
    name = type(action).__name__
    kind = _BARE.get(type(action))
    if kind is not None:
        return ServiceAction(kind, type_name=name)
    if isinstance(action, types.MessageActionChatCreate):
        return ServiceAction(ActionKind.CHAT_CREATE, title=action.title,
                             users=_people(action.users, entities), type_name=name)
    if isinstance(action, types.MessageActionChannelCreate):
        return ServiceAction(ActionKind.CHANNEL_CREATE, title=action.title, type_name=name)
    if isinstance(action, types.MessageActionChatAddUser):
        return ServiceAction(ActionKind.JOIN, users=_people(action.users, entities),
                             type_name=name)
    if isinstance(action, types.MessageActionChatJoinedByLink):
        # The sender is who joined; the inviter is not part of the core model.
        return ServiceAction(ActionKind.JOIN_BY_LINK, type_name=name)
    if isinstance(action, types.MessageActionChatDeleteUser):
        return ServiceAction(ActionKind.LEAVE, users=_people([action.user_id], entities),
                             type_name=name)
    if isinstance(action, types.MessageActionPinMessage):
        return ServiceAction(ActionKind.PIN, pinned_msg_id=reply_to_msg_id, type_name=name)
    if isinstance(action, types.MessageActionChatEditTitle):
        return ServiceAction(ActionKind.TITLE, title=action.title, type_name=name)
    if isinstance(action, types.MessageActionChatEditPhoto):
        return ServiceAction(ActionKind.PHOTO, type_name=name)
    if isinstance(action, types.MessageActionPhoneCall):
        return ServiceAction(ActionKind.CALL, duration=action.duration, video=bool(action.video),
                             reason=_REASONS.get(type(action.reason)), type_name=name)
    if isinstance(action, types.MessageActionGroupCall):
        return ServiceAction(ActionKind.GROUP_CALL, duration=action.duration, type_name=name)
    if isinstance(action, types.MessageActionTopicCreate):
        return ServiceAction(ActionKind.TOPIC_CREATE, title=action.title, type_name=name)
    if isinstance(action, types.MessageActionTopicEdit):
        return ServiceAction(ActionKind.TOPIC_EDIT, title=action.title or None,
                             closed=action.closed, type_name=name)
    if isinstance(action, types.MessageActionChatMigrateTo):
        return ServiceAction(ActionKind.MIGRATE, type_name=name,
                             migrated_to=utils.get_peer_id(types.PeerChannel(action.channel_id)))
    if isinstance(action, types.MessageActionChannelMigrateFrom):
        return ServiceAction(ActionKind.MIGRATE, title=action.title, type_name=name)
    if isinstance(action, types.MessageActionGameScore):
        return ServiceAction(ActionKind.GAME_SCORE, score=action.score, type_name=name)
    if isinstance(action, (types.MessageActionPaymentSent, types.MessageActionPaymentSentMe)):
        return ServiceAction(ActionKind.PAYMENT, type_name=name,
                             text=f"{action.total_amount} {action.currency}")
    if isinstance(action, types.MessageActionCustomAction):
        return ServiceAction(ActionKind.CUSTOM, text=action.message, type_name=name)
    return ServiceAction(ActionKind.UNKNOWN, type_name=name)
