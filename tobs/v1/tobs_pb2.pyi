import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApiVersion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    API_VERSION_UNSPECIFIED: _ClassVar[ApiVersion]
    API_VERSION_1: _ClassVar[ApiVersion]

class ChatOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHAT_ORIGIN_UNSPECIFIED: _ClassVar[ChatOrigin]
    CHAT_ORIGIN_CONFIG: _ClassVar[ChatOrigin]
    CHAT_ORIGIN_SYNC_ALL: _ClassVar[ChatOrigin]
    CHAT_ORIGIN_API: _ClassVar[ChatOrigin]
API_VERSION_UNSPECIFIED: ApiVersion
API_VERSION_1: ApiVersion
CHAT_ORIGIN_UNSPECIFIED: ChatOrigin
CHAT_ORIGIN_CONFIG: ChatOrigin
CHAT_ORIGIN_SYNC_ALL: ChatOrigin
CHAT_ORIGIN_API: ChatOrigin

class GetVersionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetVersionResponse(_message.Message):
    __slots__ = ("daemon_version", "api_version")
    DAEMON_VERSION_FIELD_NUMBER: _ClassVar[int]
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    daemon_version: str
    api_version: ApiVersion
    def __init__(self, daemon_version: _Optional[str] = ..., api_version: _Optional[_Union[ApiVersion, str]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Account(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class DcConnection(_message.Message):
    __slots__ = ("dc", "state")
    DC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    dc: int
    state: str
    def __init__(self, dc: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class FloodWait(_message.Message):
    __slots__ = ("key", "seconds_left")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECONDS_LEFT_FIELD_NUMBER: _ClassVar[int]
    key: str
    seconds_left: float
    def __init__(self, key: _Optional[str] = ..., seconds_left: _Optional[float] = ...) -> None: ...

class Pacer(_message.Message):
    __slots__ = ("key", "rate", "low", "high", "flood_waits")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    FLOOD_WAITS_FIELD_NUMBER: _ClassVar[int]
    key: str
    rate: float
    low: float
    high: float
    flood_waits: int
    def __init__(self, key: _Optional[str] = ..., rate: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., flood_waits: _Optional[int] = ...) -> None: ...

class Queues(_message.Message):
    __slots__ = ("writer_in_flight", "chats_waiting")
    WRITER_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    CHATS_WAITING_FIELD_NUMBER: _ClassVar[int]
    writer_in_flight: int
    chats_waiting: int
    def __init__(self, writer_in_flight: _Optional[int] = ..., chats_waiting: _Optional[int] = ...) -> None: ...

class DaemonStatus(_message.Message):
    __slots__ = ("state", "version", "pid", "uptime_s", "account", "dcs", "takeout", "flood_waits", "queues", "messages_per_s", "rss_bytes", "cpu_percent", "config_error", "error", "pacing", "catch_up", "accelerators", "media")
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    DCS_FIELD_NUMBER: _ClassVar[int]
    TAKEOUT_FIELD_NUMBER: _ClassVar[int]
    FLOOD_WAITS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_PER_S_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PACING_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    ACCELERATORS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    state: str
    version: str
    pid: int
    uptime_s: float
    account: Account
    dcs: _containers.RepeatedCompositeFieldContainer[DcConnection]
    takeout: str
    flood_waits: _containers.RepeatedCompositeFieldContainer[FloodWait]
    queues: Queues
    messages_per_s: float
    rss_bytes: int
    cpu_percent: float
    config_error: str
    error: str
    pacing: _containers.RepeatedCompositeFieldContainer[Pacer]
    catch_up: CatchUp
    accelerators: Accelerators
    media: MediaStatus
    def __init__(self, state: _Optional[str] = ..., version: _Optional[str] = ..., pid: _Optional[int] = ..., uptime_s: _Optional[float] = ..., account: _Optional[_Union[Account, _Mapping]] = ..., dcs: _Optional[_Iterable[_Union[DcConnection, _Mapping]]] = ..., takeout: _Optional[str] = ..., flood_waits: _Optional[_Iterable[_Union[FloodWait, _Mapping]]] = ..., queues: _Optional[_Union[Queues, _Mapping]] = ..., messages_per_s: _Optional[float] = ..., rss_bytes: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., config_error: _Optional[str] = ..., error: _Optional[str] = ..., pacing: _Optional[_Iterable[_Union[Pacer, _Mapping]]] = ..., catch_up: _Optional[_Union[CatchUp, _Mapping]] = ..., accelerators: _Optional[_Union[Accelerators, _Mapping]] = ..., media: _Optional[_Union[MediaStatus, _Mapping]] = ...) -> None: ...

class Accelerators(_message.Message):
    __slots__ = ("found", "used", "can_encode", "can_decode", "fallbacks", "notes")
    class FoundEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FOUND_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    CAN_ENCODE_FIELD_NUMBER: _ClassVar[int]
    CAN_DECODE_FIELD_NUMBER: _ClassVar[int]
    FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    found: _containers.ScalarMap[str, str]
    used: str
    can_encode: bool
    can_decode: bool
    fallbacks: int
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, found: _Optional[_Mapping[str, str]] = ..., used: _Optional[str] = ..., can_encode: _Optional[bool] = ..., can_decode: _Optional[bool] = ..., fallbacks: _Optional[int] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class MediaStatus(_message.Message):
    __slots__ = ("budget_bytes", "stored_bytes", "referenced_bytes", "budget_reached", "downloading", "bytes_fetched", "files_stored", "dedup_by_id", "dedup_by_content", "parts_resumed", "parts_hash_checked", "retries", "reference_refreshes", "dc_migrations", "files_processed")
    BUDGET_BYTES_FIELD_NUMBER: _ClassVar[int]
    STORED_BYTES_FIELD_NUMBER: _ClassVar[int]
    REFERENCED_BYTES_FIELD_NUMBER: _ClassVar[int]
    BUDGET_REACHED_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADING_FIELD_NUMBER: _ClassVar[int]
    BYTES_FETCHED_FIELD_NUMBER: _ClassVar[int]
    FILES_STORED_FIELD_NUMBER: _ClassVar[int]
    DEDUP_BY_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUP_BY_CONTENT_FIELD_NUMBER: _ClassVar[int]
    PARTS_RESUMED_FIELD_NUMBER: _ClassVar[int]
    PARTS_HASH_CHECKED_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_REFRESHES_FIELD_NUMBER: _ClassVar[int]
    DC_MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    FILES_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    budget_bytes: int
    stored_bytes: int
    referenced_bytes: int
    budget_reached: bool
    downloading: int
    bytes_fetched: int
    files_stored: int
    dedup_by_id: int
    dedup_by_content: int
    parts_resumed: int
    parts_hash_checked: int
    retries: int
    reference_refreshes: int
    dc_migrations: int
    files_processed: int
    def __init__(self, budget_bytes: _Optional[int] = ..., stored_bytes: _Optional[int] = ..., referenced_bytes: _Optional[int] = ..., budget_reached: _Optional[bool] = ..., downloading: _Optional[int] = ..., bytes_fetched: _Optional[int] = ..., files_stored: _Optional[int] = ..., dedup_by_id: _Optional[int] = ..., dedup_by_content: _Optional[int] = ..., parts_resumed: _Optional[int] = ..., parts_hash_checked: _Optional[int] = ..., retries: _Optional[int] = ..., reference_refreshes: _Optional[int] = ..., dc_migrations: _Optional[int] = ..., files_processed: _Optional[int] = ...) -> None: ...

class ChatMedia(_message.Message):
    __slots__ = ("queued", "done", "failed", "skipped", "over_budget", "errors")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    OVER_BUDGET_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    queued: int
    done: int
    failed: int
    skipped: int
    over_budget: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queued: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., over_budget: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class CatchUp(_message.Message):
    __slots__ = ("running", "runs", "answers", "verify_pending")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    VERIFY_PENDING_FIELD_NUMBER: _ClassVar[int]
    running: bool
    runs: int
    answers: int
    verify_pending: int
    def __init__(self, running: _Optional[bool] = ..., runs: _Optional[int] = ..., answers: _Optional[int] = ..., verify_pending: _Optional[int] = ...) -> None: ...

class VerifyProgress(_message.Message):
    __slots__ = ("checked", "requests", "unchanged", "deleted", "changed")
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    checked: int
    requests: int
    unchanged: int
    deleted: int
    changed: int
    def __init__(self, checked: _Optional[int] = ..., requests: _Optional[int] = ..., unchanged: _Optional[int] = ..., deleted: _Optional[int] = ..., changed: _Optional[int] = ...) -> None: ...

class ChatStatus(_message.Message):
    __slots__ = ("id", "title", "kind", "state", "error", "written", "indexed", "max_applied_id", "backfill_done", "backfill_ids_done", "backfill_ids_total", "eta_s", "newest_message", "lag_s", "origin", "deleted_notes", "ref", "verify", "media")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    MAX_APPLIED_ID_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_DONE_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_IDS_DONE_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_IDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ETA_S_FIELD_NUMBER: _ClassVar[int]
    NEWEST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LAG_S_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DELETED_NOTES_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    VERIFY_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    id: int
    title: str
    kind: str
    state: str
    error: str
    written: int
    indexed: int
    max_applied_id: int
    backfill_done: bool
    backfill_ids_done: int
    backfill_ids_total: int
    eta_s: float
    newest_message: _timestamp_pb2.Timestamp
    lag_s: float
    origin: ChatOrigin
    deleted_notes: _containers.RepeatedScalarFieldContainer[str]
    ref: str
    verify: VerifyProgress
    media: ChatMedia
    def __init__(self, id: _Optional[int] = ..., title: _Optional[str] = ..., kind: _Optional[str] = ..., state: _Optional[str] = ..., error: _Optional[str] = ..., written: _Optional[int] = ..., indexed: _Optional[int] = ..., max_applied_id: _Optional[int] = ..., backfill_done: _Optional[bool] = ..., backfill_ids_done: _Optional[int] = ..., backfill_ids_total: _Optional[int] = ..., eta_s: _Optional[float] = ..., newest_message: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lag_s: _Optional[float] = ..., origin: _Optional[_Union[ChatOrigin, str]] = ..., deleted_notes: _Optional[_Iterable[str]] = ..., ref: _Optional[str] = ..., verify: _Optional[_Union[VerifyProgress, _Mapping]] = ..., media: _Optional[_Union[ChatMedia, _Mapping]] = ...) -> None: ...

class UnresolvedChat(_message.Message):
    __slots__ = ("ref", "error")
    REF_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ref: str
    error: str
    def __init__(self, ref: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("daemon", "chats", "unresolved")
    DAEMON_FIELD_NUMBER: _ClassVar[int]
    CHATS_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_FIELD_NUMBER: _ClassVar[int]
    daemon: DaemonStatus
    chats: _containers.RepeatedCompositeFieldContainer[ChatStatus]
    unresolved: _containers.RepeatedCompositeFieldContainer[UnresolvedChat]
    def __init__(self, daemon: _Optional[_Union[DaemonStatus, _Mapping]] = ..., chats: _Optional[_Iterable[_Union[ChatStatus, _Mapping]]] = ..., unresolved: _Optional[_Iterable[_Union[UnresolvedChat, _Mapping]]] = ...) -> None: ...

class ChatInfo(_message.Message):
    __slots__ = ("id", "title", "kind", "username", "origin", "config_entry", "since", "media", "remove_deleted", "paused", "state")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CONFIG_ENTRY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    REMOVE_DELETED_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    id: int
    title: str
    kind: str
    username: str
    origin: ChatOrigin
    config_entry: str
    since: str
    media: bool
    remove_deleted: bool
    paused: bool
    state: str
    def __init__(self, id: _Optional[int] = ..., title: _Optional[str] = ..., kind: _Optional[str] = ..., username: _Optional[str] = ..., origin: _Optional[_Union[ChatOrigin, str]] = ..., config_entry: _Optional[str] = ..., since: _Optional[str] = ..., media: _Optional[bool] = ..., remove_deleted: _Optional[bool] = ..., paused: _Optional[bool] = ..., state: _Optional[str] = ...) -> None: ...

class ListChatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListChatsResponse(_message.Message):
    __slots__ = ("chats",)
    CHATS_FIELD_NUMBER: _ClassVar[int]
    chats: _containers.RepeatedCompositeFieldContainer[ChatInfo]
    def __init__(self, chats: _Optional[_Iterable[_Union[ChatInfo, _Mapping]]] = ...) -> None: ...

class AddChatRequest(_message.Message):
    __slots__ = ("chat", "since", "media", "remove_deleted")
    CHAT_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    REMOVE_DELETED_FIELD_NUMBER: _ClassVar[int]
    chat: str
    since: str
    media: bool
    remove_deleted: bool
    def __init__(self, chat: _Optional[str] = ..., since: _Optional[str] = ..., media: _Optional[bool] = ..., remove_deleted: _Optional[bool] = ...) -> None: ...

class AddChatResponse(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: ChatInfo
    def __init__(self, chat: _Optional[_Union[ChatInfo, _Mapping]] = ...) -> None: ...

class RemoveChatRequest(_message.Message):
    __slots__ = ("chat", "delete_notes")
    CHAT_FIELD_NUMBER: _ClassVar[int]
    DELETE_NOTES_FIELD_NUMBER: _ClassVar[int]
    chat: str
    delete_notes: bool
    def __init__(self, chat: _Optional[str] = ..., delete_notes: _Optional[bool] = ...) -> None: ...

class RemoveChatResponse(_message.Message):
    __slots__ = ("chat", "notes_deleted", "media_deleted", "kept")
    CHAT_FIELD_NUMBER: _ClassVar[int]
    NOTES_DELETED_FIELD_NUMBER: _ClassVar[int]
    MEDIA_DELETED_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    chat: ChatInfo
    notes_deleted: int
    media_deleted: int
    kept: _containers.RepeatedCompositeFieldContainer[KeptFile]
    def __init__(self, chat: _Optional[_Union[ChatInfo, _Mapping]] = ..., notes_deleted: _Optional[int] = ..., media_deleted: _Optional[int] = ..., kept: _Optional[_Iterable[_Union[KeptFile, _Mapping]]] = ...) -> None: ...

class KeptFile(_message.Message):
    __slots__ = ("path", "reason")
    PATH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    path: str
    reason: str
    def __init__(self, path: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class PauseChatRequest(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: str
    def __init__(self, chat: _Optional[str] = ...) -> None: ...

class PauseChatResponse(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: ChatInfo
    def __init__(self, chat: _Optional[_Union[ChatInfo, _Mapping]] = ...) -> None: ...

class ResumeChatRequest(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: str
    def __init__(self, chat: _Optional[str] = ...) -> None: ...

class ResumeChatResponse(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: ChatInfo
    def __init__(self, chat: _Optional[_Union[ChatInfo, _Mapping]] = ...) -> None: ...

class SyncNowRequest(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: str
    def __init__(self, chat: _Optional[str] = ...) -> None: ...

class SyncNowResponse(_message.Message):
    __slots__ = ("chat_ids",)
    CHAT_IDS_FIELD_NUMBER: _ClassVar[int]
    chat_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, chat_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class ResyncRequest(_message.Message):
    __slots__ = ("chat",)
    CHAT_FIELD_NUMBER: _ClassVar[int]
    chat: str
    def __init__(self, chat: _Optional[str] = ...) -> None: ...

class ResyncResponse(_message.Message):
    __slots__ = ("chat", "checked", "changed", "deleted", "recreated")
    CHAT_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    RECREATED_FIELD_NUMBER: _ClassVar[int]
    chat: ChatInfo
    checked: int
    changed: int
    deleted: int
    recreated: int
    def __init__(self, chat: _Optional[_Union[ChatInfo, _Mapping]] = ..., checked: _Optional[int] = ..., changed: _Optional[int] = ..., deleted: _Optional[int] = ..., recreated: _Optional[int] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("log_level",)
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    log_level: str
    def __init__(self, log_level: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("time", "chat_state", "progress", "config_reloaded", "log", "daemon_state", "dropped")
    TIME_FIELD_NUMBER: _ClassVar[int]
    CHAT_STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_RELOADED_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    DAEMON_STATE_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    chat_state: ChatStateChanged
    progress: Progress
    config_reloaded: ConfigReloaded
    log: LogLine
    daemon_state: DaemonStateChanged
    dropped: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., chat_state: _Optional[_Union[ChatStateChanged, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., config_reloaded: _Optional[_Union[ConfigReloaded, _Mapping]] = ..., log: _Optional[_Union[LogLine, _Mapping]] = ..., daemon_state: _Optional[_Union[DaemonStateChanged, _Mapping]] = ..., dropped: _Optional[int] = ...) -> None: ...

class ChatStateChanged(_message.Message):
    __slots__ = ("chat_id", "title", "state", "error")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    chat_id: int
    title: str
    state: str
    error: str
    def __init__(self, chat_id: _Optional[int] = ..., title: _Optional[str] = ..., state: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class DaemonStateChanged(_message.Message):
    __slots__ = ("state", "error")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    state: str
    error: str
    def __init__(self, state: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("chat_id", "title", "written", "indexed")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    chat_id: int
    title: str
    written: int
    indexed: int
    def __init__(self, chat_id: _Optional[int] = ..., title: _Optional[str] = ..., written: _Optional[int] = ..., indexed: _Optional[int] = ...) -> None: ...

class ConfigReloaded(_message.Message):
    __slots__ = ("ok", "error", "chats")
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CHATS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    error: str
    chats: int
    def __init__(self, ok: _Optional[bool] = ..., error: _Optional[str] = ..., chats: _Optional[int] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("level", "logger", "message")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LOGGER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    level: str
    logger: str
    message: str
    def __init__(self, level: _Optional[str] = ..., logger: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ReloadConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReloadConfigResponse(_message.Message):
    __slots__ = ("chats", "unresolved")
    CHATS_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_FIELD_NUMBER: _ClassVar[int]
    chats: int
    unresolved: _containers.RepeatedCompositeFieldContainer[UnresolvedChat]
    def __init__(self, chats: _Optional[int] = ..., unresolved: _Optional[_Iterable[_Union[UnresolvedChat, _Mapping]]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("phone", "code", "password")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    phone: str
    code: str
    password: str
    def __init__(self, phone: _Optional[str] = ..., code: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("next", "hint")
    class Next(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NEXT_UNSPECIFIED: _ClassVar[LoginResponse.Next]
        NEXT_CODE: _ClassVar[LoginResponse.Next]
        NEXT_PASSWORD: _ClassVar[LoginResponse.Next]
        NEXT_DONE: _ClassVar[LoginResponse.Next]
    NEXT_UNSPECIFIED: LoginResponse.Next
    NEXT_CODE: LoginResponse.Next
    NEXT_PASSWORD: LoginResponse.Next
    NEXT_DONE: LoginResponse.Next
    NEXT_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    next: LoginResponse.Next
    hint: str
    def __init__(self, next: _Optional[_Union[LoginResponse.Next, str]] = ..., hint: _Optional[str] = ...) -> None: ...
