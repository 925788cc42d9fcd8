"""World service actions -> MessageAction* objects (model.ACTION_KINDS)."""
from __future__ import annotations

from telethon.tl import types

from ..world.model import Action
from .build import get_type, make


def _phone_call(a: Action, msg_id: int):
    return make(types.MessageActionPhoneCall, call_id=msg_id, video=a.video,
                reason=types.PhoneCallDiscardReasonHangup(), duration=a.duration or None)


def _group_call(a: Action, msg_id: int):
    return make(types.MessageActionGroupCall,
                call=make(types.InputGroupCall, id=msg_id, access_hash=0),
                duration=a.duration or None)


def action(a: Action | None, msg_id: int = 0):
    """The MessageAction for a service message; kinds the world or the
    installed layer does not know become MessageActionEmpty."""
    if a is None:
        return types.MessageActionEmpty()
    kind = a.kind
    if kind == "chat_create":
        return make(types.MessageActionChatCreate, title=a.title, users=list(a.user_ids))
    if kind == "channel_create":
        return make(types.MessageActionChannelCreate, title=a.title)
    if kind == "add_user":
        return make(types.MessageActionChatAddUser, users=list(a.user_ids))
    if kind == "delete_user":
        return make(types.MessageActionChatDeleteUser, user_id=a.user_ids[0] if a.user_ids else 0)
    if kind == "join_by_link":
        return make(types.MessageActionChatJoinedByLink,
                    inviter_id=a.user_ids[0] if a.user_ids else 0)
    if kind == "pin":
        return types.MessageActionPinMessage()
    if kind == "title":
        return make(types.MessageActionChatEditTitle, title=a.title)
    if kind == "photo":
        return make(types.MessageActionChatEditPhoto, photo=types.PhotoEmpty(id=msg_id))
    if kind == "delete_photo":
        return types.MessageActionChatDeletePhoto()
    if kind == "phone_call":
        return _phone_call(a, msg_id)
    if kind == "group_call":
        return _group_call(a, msg_id)
    if kind == "topic_create" and get_type("MessageActionTopicCreate") is not None:
        return make(types.MessageActionTopicCreate, title=a.title, icon_color=a.icon_color)
    if kind == "topic_edit" and get_type("MessageActionTopicEdit") is not None:
        return make(types.MessageActionTopicEdit, title=a.title or None, closed=a.closed)
    if kind == "history_clear":
        return types.MessageActionHistoryClear()
    if kind == "screenshot":
        return types.MessageActionScreenshotTaken()
    if kind == "custom":
        return make(types.MessageActionCustomAction, message=a.text)
    return types.MessageActionEmpty()
