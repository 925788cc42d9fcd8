"""Telegram errors -> tobsd's core errors, at the layer's boundary.

Login errors (the key was revoked or never authorised, the account is gone)
become `NeedsLogin`; errors that say one chat cannot be read become
`ChatUnavailable`, and so does any other refusal (400 or 403) of a request
made for one chat (`what` names it): Telegram says such a request is wrong
and asking again will not help, so that chat shows the error and the others
go on. Neither message carries a secret: only the error's name.
"""
from __future__ import annotations

import re

from telethon import errors

from tobsd.core.errors import ChatUnavailable, NeedsLogin

LOGIN_ERRORS = (
    errors.AuthKeyUnregisteredError, errors.SessionRevokedError, errors.UserDeactivatedError,
    errors.UserDeactivatedBanError, errors.SessionExpiredError, errors.AuthKeyInvalidError,
    errors.AuthKeyPermEmptyError, errors.SessionPasswordNeededError,
)

CHAT_ERRORS = (
    errors.ChannelPrivateError, errors.ChannelInvalidError, errors.PeerIdInvalidError,
    errors.ChatIdInvalidError, errors.ChatForbiddenError, errors.ChannelPublicGroupNaError,
    errors.UsernameNotOccupiedError, errors.UsernameInvalidError, errors.ChatAdminRequiredError,
    errors.ChannelBannedError,
)


# Refusals of a chat's request that their callers handle themselves.
HANDLED_BY_CALLER = (errors.TakeoutInvalidError, errors.FileReferenceExpiredError)


def is_login_error(exc: BaseException) -> bool:
    if isinstance(exc, LOGIN_ERRORS):
        return True
    return isinstance(exc, errors.RPCError) and exc.code == 401


def translate(exc: BaseException, what: str = "") -> BaseException | None:
    """The core error to raise instead of `exc`, or None to let it through."""
    if is_login_error(exc):
        return NeedsLogin(f"the Telegram session is no longer authorised "
                          f"({type(exc).__name__}); run `tobsd login`")
    if isinstance(exc, CHAT_ERRORS):
        label = f"{what}: " if what else ""
        return ChatUnavailable(f"{label}Telegram refuses access ({_name(exc)})")
    if what and isinstance(exc, (errors.BadRequestError, errors.ForbiddenError)) \
            and not isinstance(exc, HANDLED_BY_CALLER):
        return ChatUnavailable(f"{what}: Telegram refuses the request ({_name(exc)})")
    return None


def _name(exc: BaseException) -> str:
    """Telegram's name of the error: ChannelPrivateError -> CHANNEL_PRIVATE.
    (Telethon's `message` holds only the category, such as BAD_REQUEST, for
    the errors it knows, and Telegram's name for the others.)"""
    if type(exc) in (errors.RPCError, errors.BadRequestError, errors.ForbiddenError) \
            and getattr(exc, "message", None):
        return str(exc.message)
    name = type(exc).__name__
    if name.endswith("Error"):
        name = name[:-len("Error")]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
