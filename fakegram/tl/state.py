"""Server-wide state the method handlers keep between requests.

The server constructs one `ServerState(world)` and exposes it as
`ctx.server.state`. It holds pending login codes (by phone_code_hash), the
last code sent to each phone (`last_codes`, read by the control endpoint),
auth keys that passed the code step and still owe the 2FA password, SRP
sessions, exported authorizations, open takeout sessions and the values
help.getAppConfig reports.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from .srp import SrpServer

# help.getAppConfig values clients look at (Telethon-based exporters read the
# queue limits to size their download concurrency).
DEFAULT_APP_CONFIG: dict[str, Any] = {
    "small_queue_max_active_operations_count": 5,
    "large_queue_max_active_operations_count": 2,
    "upload_max_fileparts_default": 4000,
    "upload_max_fileparts_premium": 8000,
    "takeout_file_max_size": 4 * 1024 ** 3,
    "file_max_size": 2 * 1024 ** 3,
    "channels_read_media_period": 604800,
    "message_length_max": 4096,
    "caption_length_limit_default": 1024,
}


@dataclass
class PendingLogin:
    """A code sent by auth.sendCode and not yet used."""
    phone: str
    code: str
    created: float
    used: bool = False


@dataclass
class ExportedAuth:
    """auth.exportAuthorization's answer, waiting for importAuthorization."""
    user_id: int
    dc_id: int
    bytes: bytes


def normalize_phone(phone: str) -> str:
    """Digits only, as Telegram stores phone numbers."""
    return "".join(ch for ch in phone if ch.isdigit())


class ServerState:
    """Mutable state shared by every connection of one fakegram server.

    code_ttl: seconds a login code stays valid (PHONE_CODE_EXPIRED after).
    phone_migrate: answer auth.sendCode on a DC other than the account's home
    DC with PHONE_MIGRATE_X, as Telegram does.
    random_codes: random login codes instead of ones derived from the phone.
    """

    def __init__(self, world, *, code_ttl: float = 300.0, phone_migrate: bool = True,
                 random_codes: bool = False):
        self.world = world
        self.code_ttl = code_ttl
        self.phone_migrate = phone_migrate
        self.random_codes = random_codes
        self.logins: dict[str, PendingLogin] = {}
        self.last_codes: dict[str, str] = {}
        self.password_pending: set[int] = set()       # auth key ids
        self.srp = SrpServer()
        self.exported: dict[int, ExportedAuth] = {}
        self.takeouts: dict[int, int] = {}            # takeout id -> user id
        self.app_config: dict[str, Any] = dict(DEFAULT_APP_CONFIG)
        self._codes_sent = 0

    # --- login codes -----------------------------------------------------------
    def new_code(self, phone: str) -> tuple[str, str]:
        """Record a fresh 5-digit code for `phone`; returns (phone_code_hash, code)."""
        phone = normalize_phone(phone)
        self._codes_sent += 1
        if self.random_codes:
            code = f"{secrets.randbelow(100000):05d}"
        else:
            digest = hashlib.sha256(f"{phone}:{self._codes_sent}".encode()).digest()
            code = f"{int.from_bytes(digest[:8], 'big') % 100000:05d}"
        code_hash = secrets.token_hex(9)
        self.logins[code_hash] = PendingLogin(phone, code, time.monotonic())
        self.last_codes[phone] = code
        return code_hash, code

    def login(self, code_hash: str) -> PendingLogin | None:
        return self.logins.get(code_hash)

    def expired(self, login: PendingLogin) -> bool:
        return login.used or time.monotonic() - login.created > self.code_ttl

    # --- takeout ---------------------------------------------------------------
    def open_takeout(self, user_id: int) -> int:
        takeout_id = secrets.randbits(63)
        self.takeouts[takeout_id] = user_id
        return takeout_id

    def takeout_valid(self, takeout_id: int, user_id: int | None) -> bool:
        return user_id is not None and self.takeouts.get(takeout_id) == user_id

    def close_takeout(self, takeout_id: int) -> None:
        self.takeouts.pop(takeout_id, None)

    # --- exported authorizations -------------------------------------------------
    def export_auth(self, user_id: int, dc_id: int) -> tuple[int, bytes]:
        auth_id = secrets.randbits(63)
        data = secrets.token_bytes(32)
        self.exported[auth_id] = ExportedAuth(user_id, dc_id, data)
        return auth_id, data

    def app_config_hash(self) -> int:
        """A stable 32-bit hash of the app config (for AppConfigNotModified)."""
        text = repr(sorted(self.app_config.items())).encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:4], "big", signed=True)
