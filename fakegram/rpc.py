"""What a method handler gets and may raise: the request context and RpcError.

A handler is `async def handler(ctx: RequestContext, request) -> result`
where `request` is the unwrapped Telethon TLRequest (no invokeWithLayer,
initConnection, invokeWithTakeout ... around it) and the result is one of:
a TLObject; a bool (packed as boolTrue/boolFalse); a list of TLObjects
(packed as a vector); an `IntVector` / `LongVector` (vector<int>/<long>).
Errors are raised as `RpcError(code, "MESSAGE")` and travel as rpc_error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .world.world import World


class RpcError(Exception):
    """An error that goes back to the client as rpc_error."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class IntVector(list):
    """A result of type Vector<int>."""


class LongVector(list):
    """A result of type Vector<long>."""


@dataclass
class AuthRecord:
    """A registered auth key and what the server knows about it."""
    key: bytes
    key_id: int
    dc_id: int
    user_id: int | None = None        # set once logged in (or imported)
    takeout_id: int | None = None     # the open Takeout session, if any
    layer: int = 0                    # from invokeWithLayer
    temp: bool = False                # a temporary key (PFS), not persisted
    preregistered: bool = False       # made by the server for the world's user


@dataclass
class RequestContext:
    """Everything a handler may look at or change while answering a request.

    world: the account's world. dc_id: the DC this connection is on;
    home_dc: the account's home DC. auth: the auth key's record (user_id is
    None before login). takeout_id: set when the request came wrapped in
    invokeWithTakeout. without_updates: wrapped in invokeWithoutUpdates.
    server: the `fakegram.server.Server` (config, DC addresses, auth keys,
    login codes, exported authorizations).
    """
    world: "World"
    dc_id: int
    home_dc: int
    auth: AuthRecord
    server: Any
    takeout_id: int | None = None
    without_updates: bool = False
    layer: int = 0
    extra: dict = field(default_factory=dict)

    def require_user(self) -> int:
        """The logged-in user id, or AUTH_KEY_UNREGISTERED (401)."""
        if self.auth.user_id is None:
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        return self.auth.user_id
