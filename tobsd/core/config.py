"""tobsd's configuration: one TOML file read into frozen dataclasses.

`load_config(path)` reads and validates the whole file at once and either
returns a `Config` or raises `ConfigError` listing every problem, each named
by its key path (`chats[2].since: expected a date like 2024-01-31, got
"yesterday"`). Unknown keys are problems too, with a "did you mean".

Paths in the file may use `~`; relative ones resolve against the folder of
the config file. `packaging/tobsd.example.toml` documents every key.

The api_hash is a secret: it is held in a `Secret`, whose repr and str are
redacted, so printing or logging a `Config` never shows it, and no problem
message ever quotes it. Code that needs it calls `config.api_hash.reveal()`.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from tobsd.core.config_chats import CHAT_KINDS, ChatConfig, ChatRef, SyncConfig
from tobsd.core.config_media import MediaConfig, read_chat_media, read_media
from tobsd.core.config_processing import ProcessingConfig, read_processing
from tobsd.core.config_reader import Problems, TableReader, describe, resolve_path, suggest
from tobsd.core.errors import ConfigError

__all__ = [
    "ChatConfig", "ChatRef", "Config", "DaemonConfig", "Endpoint", "LimitsConfig", "MediaConfig",
    "ProcessingConfig", "Secret", "SyncConfig", "TelegramConfig", "VaultConfig", "load_config",
]

LOG_LEVELS = ("debug", "info", "warning", "error")

PERIODS = ("day", "month")
# sun_path in struct sockaddr_un holds 108 bytes including the final NUL.
MAX_SOCKET_PATH = 107


class Secret:
    """A string that never shows itself in repr(), str() or format()."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host and port to reach one Telegram data centre at."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """`[vault]`: where notes go and how they are laid out."""

    path: Path
    root: str = "Telegram"
    period: str = "day"          # one note per chat per "day" or per "month"
    timezone: str = "UTC"        # IANA zone used for note dates and times

    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """`[limits]`: how much tobsd asks of Telegram at once."""

    backfill_requests_in_flight: int = 6   # history requests in flight, all chats together
    media_downloads: int = 4               # media files downloading at once
    connections_per_dc: int = 4            # upper bound on download connections (and requests) per DC


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """`[telegram]`: overrides for a Telegram-compatible server (empty for Telegram itself)."""

    dc: Mapping[int, Endpoint] = field(default_factory=lambda: MappingProxyType({}))
    rsa_public_key: str | None = None      # PEM text, already read from rsa_public_key_file


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    """`[daemon]`: where tobsd keeps its state and its control socket."""

    state_dir: Path
    socket: Path
    log_level: str = "info"
    # The group whose members may use the socket (its folder 0750, the
    # socket 0660, both of that group); None: the owner alone (0700/0600).
    socket_group: str | None = None
    check_every_s: int = 60         # how often an idle daemon checks its session is still valid
    reconcile_every_s: int = 600    # how often every chat's newest message is compared with Telegram
    page_check_every_s: int = 3600  # how often (on average) each chat's newest page is checked by its ids hash

    @property
    def db_path(self) -> Path:
        return self.state_dir / "tobsd.db"

    @property
    def bloom_path(self) -> Path:
        return self.state_dir / "applied.bloom"


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; `source` is the file it came from."""

    source: Path
    api_id: int
    api_hash: Secret
    session: Path
    vault: VaultConfig
    daemon: DaemonConfig
    chats: tuple[ChatConfig, ...] = ()
    sync: SyncConfig = SyncConfig()
    limits: LimitsConfig = LimitsConfig()
    telegram: TelegramConfig = TelegramConfig()
    processing: ProcessingConfig = ProcessingConfig()
    media: MediaConfig = MediaConfig()
    api_hash_file: Path | None = None        # where the api_hash was read from, if from a file


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file at `path`; raises ConfigError.

    `env` (default os.environ) supplies $CREDENTIALS_DIRECTORY, $STATE_DIRECTORY
    and $RUNTIME_DIRECTORY, which systemd sets for the service.
    """
    env = os.environ if env is None else env
    source = Path(path).expanduser().absolute()
    try:
        with open(source, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(str(source), [f"cannot read the file: {e.strerror or e}"]) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(source), [f"not valid TOML: {e}"]) from None
    problems = Problems()
    config = _read(TableReader(data, "", problems), source, env)
    if problems.items:
        raise ConfigError(str(source), problems.items)
    assert config is not None
    return config


def _read(top: TableReader, source: Path, env: Mapping[str, str]) -> Config | None:
    base = source.parent
    # An api_hash typed here by mistake is a secret: never quoted.
    api_id = top.get_int("api_id", None, lo=1, secret=True)
    if api_id is None and not top.has("api_id"):
        top.problem("api_id", "missing; get one at https://my.telegram.org")
    api_hash, api_hash_file = _read_api_hash(top, base, env)
    daemon = _read_daemon(top.get_table("daemon"), base, env)
    session = top.get_path("session", daemon.state_dir / "tobsd.session", base)
    vault = _read_vault(top.get_table("vault"), base)
    sync = _read_sync(top.get_table("sync"))
    media = read_media(top.get_table("media"))
    chats = _read_chats(top.get_tables("chats"), sync, media)
    limits = _read_limits(top.get_table("limits"))
    telegram = _read_telegram(top.get_table("telegram"), base)
    processing = read_processing(top.get_table("processing"), base)
    top.finish()
    if top.problems.items or api_id is None or api_hash is None or vault is None:
        return None
    return Config(source=source, api_id=api_id, api_hash=api_hash, session=session, vault=vault,
                  daemon=daemon, chats=chats, sync=sync, limits=limits, telegram=telegram,
                  processing=processing, media=media, api_hash_file=api_hash_file)



def _read_api_hash(top: TableReader, base: Path,
                   env: Mapping[str, str]) -> tuple[Secret | None, Path | None]:
    """The api_hash, and the file it came from (None when it is inline)."""
    has_inline, has_file = top.has("api_hash"), top.has("api_hash_file")
    if has_inline and has_file:
        top.problem("api_hash", "set either api_hash or api_hash_file, not both")
        return None, None
    if not has_inline and not has_file:
        top.problem("api_hash", "missing; set api_hash, or api_hash_file to a file holding it")
        return None, None
    if has_inline:
        value = top.get_str("api_hash", None, secret=True)
        return (None if value is None else _check_hash(top, "api_hash", value.strip())), None
    name = top.get_str("api_hash_file", None)
    if name is None:
        return None, None
    path = _credential_path(name, base, env)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "not readable text"
        top.problem("api_hash_file", f"cannot read {str(path)!r}: {reason}")
        return None, path
    return _check_hash(top, "api_hash_file", text.strip()), path


def _credential_path(name: str, base: Path, env: Mapping[str, str]) -> Path:
    """systemd's LoadCredential puts files in $CREDENTIALS_DIRECTORY; a bare name found there wins."""
    creds = env.get("CREDENTIALS_DIRECTORY")
    if creds and "/" not in name and (Path(creds) / name).exists():
        return Path(creds) / name
    return resolve_path(name, base)


def _check_hash(top: TableReader, key: str, value: str) -> Secret | None:
    # The value is never quoted: only its shape is described.
    if not value:
        top.problem(key, "the api_hash is empty")
        return None
    if any(c.isspace() for c in value) or not value.isprintable():
        top.problem(key, "the api_hash must be one word with no spaces")
        return None
    return Secret(value)


def _read_daemon(t: TableReader, base: Path, env: Mapping[str, str]) -> DaemonConfig:
    default_state = Path(env["STATE_DIRECTORY"].split(":")[0]) if env.get("STATE_DIRECTORY") else (
        Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "tobsd")
    state_dir = t.get_path("state_dir", default_state, base)
    # The service's runtime folder (systemd RuntimeDirectory=tobsd), else the
    # user's runtime folder (where tobsctl looks first), else the state folder.
    if env.get("RUNTIME_DIRECTORY"):
        default_socket = Path(env["RUNTIME_DIRECTORY"].split(":")[0]) / "tobsd.sock"
    elif env.get("XDG_RUNTIME_DIR"):
        default_socket = Path(env["XDG_RUNTIME_DIR"]) / "tobsd" / "tobsd.sock"
    else:
        default_socket = state_dir / "tobsd.sock"
    socket = t.get_path("socket", default_socket, base)
    if len(os.fsencode(socket)) > MAX_SOCKET_PATH:
        t.problem("socket", f"the path is {len(os.fsencode(socket))} bytes long; "
                            f"a Unix socket path may have at most {MAX_SOCKET_PATH}")
    # The system unit sets TOBS_SOCKET_GROUP=tobs; "" in the file: the owner alone.
    socket_group = t.get_str("socket_group", env.get("TOBS_SOCKET_GROUP") or None,
                             allow_empty=True) or None     # that it exists: preflight's warning
    log_level = t.get_choice("log_level", "info", LOG_LEVELS)
    check_every_s = t.get_int("check_every_s", 60, lo=1, hi=86400)
    reconcile_every_s = t.get_int("reconcile_every_s", 600, lo=5, hi=7 * 86400)
    page_check_every_s = t.get_int("page_check_every_s", 3600, lo=5, hi=7 * 86400)
    t.finish()
    return DaemonConfig(state_dir=state_dir, socket=socket, log_level=log_level, socket_group=socket_group,
                        check_every_s=check_every_s, reconcile_every_s=reconcile_every_s,
                        page_check_every_s=page_check_every_s)


def _read_vault(t: TableReader, base: Path) -> VaultConfig | None:
    path = t.get_path("path", None, base)
    if path is None and not t.has("path"):
        t.problem("path", "missing; set it to the Obsidian vault folder")
    root = t.get_str("root", "Telegram")
    if root.startswith("/") or ".." in Path(root).parts:
        t.problem("root", f"must be a folder inside the vault, got {describe(root)}")
    period = t.get_choice("period", "day", PERIODS)
    timezone = t.get_str("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        t.problem("timezone", f"unknown time zone {describe(timezone)}; use an IANA name such as \"Europe/Berlin\"")
        timezone = "UTC"
    t.finish()
    return None if path is None else VaultConfig(path=path, root=root.strip("/"), period=period, timezone=timezone)


def _read_sync(t: TableReader) -> SyncConfig:
    everything = t.get_bool("all", False)
    kinds = {}
    for name, default in (("include_kinds", CHAT_KINDS), ("exclude_kinds", ())):
        kinds[name] = frozenset(t.get_list(name, _kind, tuple(default)))
    names = {n: t.get_list(n, _pattern) for n in ("include_names", "exclude_names")}
    if not everything:
        for name in ("include_kinds", "exclude_kinds", "include_names", "exclude_names"):
            if name in t.table:
                t.problem(name, "only used with all = true")
    media = t.get_bool("media", True)
    remove_deleted = t.get_bool("remove_deleted", False)
    verify = t.get_choice("verify", "ids", ("ids", "full"))
    t.finish()
    return SyncConfig(all=everything, include_kinds=kinds["include_kinds"], exclude_kinds=kinds["exclude_kinds"],
                      include_names=names["include_names"], exclude_names=names["exclude_names"],
                      media=media, remove_deleted=remove_deleted, verify=verify)


def _kind(value: object) -> str:
    if isinstance(value, str) and value in CHAT_KINDS:
        return value
    raise ValueError(f"expected one of {', '.join(CHAT_KINDS)}, got {describe(value)}"
                       + (suggest(value, CHAT_KINDS) if isinstance(value, str) else ""))


def _pattern(value: object) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"expected a non-empty name pattern, got {describe(value)}")


def _read_chats(tables: list[TableReader], sync: SyncConfig,
                media_config: MediaConfig = MediaConfig()) -> tuple[ChatConfig, ...]:
    chats: list[ChatConfig] = []
    first_seen: dict[tuple[str, str], str] = {}
    for t in tables:
        ref = None
        if not t.has("chat"):
            t.problem("chat", 'missing; name the chat by "@username", t.me link, numeric id or exact title')
        else:
            try:
                ref = ChatRef.parse(t.raw("chat"))
            except ValueError as e:
                t.problem("chat", str(e))
        since = t.get_date("since", None)
        media = t.get_bool("media", sync.media)
        paused = t.get_bool("paused", False)
        remove_deleted = t.get_bool("remove_deleted", sync.remove_deleted)
        media_kinds, media_max = read_chat_media(t, media_config)
        compact = t.get_bool("compact", None)
        t.finish()
        if ref is None:
            continue
        earlier = first_seen.setdefault(ref.key(), t.path)
        if earlier != t.path:
            t.problem("chat", f"{ref} is already listed as {earlier}")
            continue
        chats.append(ChatConfig(ref=ref, since=since, media=media, paused=paused, remove_deleted=remove_deleted,
                                media_kinds=media_kinds, media_max_size_mb=media_max, compact=compact))
    return tuple(chats)


def _read_limits(t: TableReader) -> LimitsConfig:
    limits = LimitsConfig(
        backfill_requests_in_flight=t.get_int("backfill_requests_in_flight", 6, lo=1, hi=32),
        media_downloads=t.get_int("media_downloads", 4, lo=1, hi=32),
        connections_per_dc=t.get_int("connections_per_dc", 4, lo=1, hi=16),
    )
    t.finish()
    return limits


def _read_telegram(t: TableReader, base: Path) -> TelegramConfig:
    dcs: dict[int, Endpoint] = {}
    dc_table = t.get_table("dc")
    for name, value in dc_table.table.items():
        dc_table.has(name)
        if not name.isdigit() or not 1 <= int(name) <= 1000:
            dc_table.problem(name, "a data-centre id must be a number such as \"2\"")
            continue
        endpoint = _endpoint(value)
        if endpoint is None:
            dc_table.problem(name, f'expected "host:port", got {describe(value)}')
            continue
        dcs[int(name)] = endpoint
    key = None
    if t.has("rsa_public_key") and t.has("rsa_public_key_file"):
        t.problem("rsa_public_key", "set either rsa_public_key or rsa_public_key_file, not both")
    elif t.has("rsa_public_key"):
        key = _check_pem(t, "rsa_public_key", t.get_str("rsa_public_key", None))
    elif t.has("rsa_public_key_file"):
        path = t.get_path("rsa_public_key_file", None, base)
        if path is not None:
            try:
                key = _check_pem(t, "rsa_public_key_file", path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as e:
                reason = e.strerror if isinstance(e, OSError) and e.strerror else "not readable text"
                t.problem("rsa_public_key_file", f"cannot read {str(path)!r}: {reason}")
    t.finish()
    return TelegramConfig(dc=MappingProxyType(dcs), rsa_public_key=key)


def _endpoint(value: object) -> Endpoint | None:
    if not isinstance(value, str):
        return None
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return None  # an IPv6 address must be bracketed: "[::1]:443"
    return Endpoint(host=host, port=int(port))


def _check_pem(t: TableReader, key: str, text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if not (text.startswith("-----BEGIN RSA PUBLIC KEY-----") or text.startswith("-----BEGIN PUBLIC KEY-----")) \
            or "-----END" not in text:
        t.problem(key, "expected a PEM public key starting with -----BEGIN RSA PUBLIC KEY-----")
        return None
    return text + "\n"
