"""The project's error types, shared by every package.

Each error carries a message fit to show a user as is. Errors never hold
secrets (the api_hash, session keys): code that raises them must not put a
secret in the message, and the types here never format values themselves.
"""

from __future__ import annotations


class TobsError(Exception):
    """Base of every error tobsd raises on purpose."""


class ConfigError(TobsError):
    """The configuration file is missing, unreadable or invalid.

    `problems` lists every problem found, each as "key.path: what is wrong",
    so a user can fix them all in one go. `source` is the file they are in.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = f"{source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  {p}" for p in self.problems)
            text = f"{source}: {len(self.problems)} problems:\n{lines}"
        super().__init__(text)


class StoreError(TobsError):
    """The state database cannot be used as asked."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer tobsd, whose schema this one does not know.

    Opening it anyway could corrupt state the newer version relies on, so the
    store refuses and names both versions.
    """

    def __init__(self, path: str, found: int, known: int) -> None:
        self.path = path
        self.found = found
        self.known = known
        super().__init__(
            f"{path}: schema version {found} is newer than this tobsd knows "
            f"(up to {known}); run the newer tobsd or restore an older copy of the database"
        )


class NeedsLogin(TobsError):
    """The Telegram session is not authorised (never logged in, revoked,
    deactivated). The daemon reports `needs-login` and waits for
    `tobsd login`; it keeps all its state."""


class ChatUnavailable(TobsError):
    """One chat cannot be read (private, banned, deleted, unknown). That chat
    shows the error in status; the others go on."""


class DiskFull(TobsError):
    """The vault's or the state's disk (or quota) is full; nothing was
    half-written, and sync pauses until space returns.

    `path` is what was being written, `cause` the OSError (ENOSPC, EDQUOT,
    EFBIG) or the database's error. It survives pickling (the vault writer
    process sends it to the daemon)."""

    def __init__(self, path: object, cause: BaseException | None = None) -> None:
        reason = getattr(cause, "strerror", None) or cause or "no space left"
        super().__init__(f"disk full while writing {path}: {reason}")
        self.path = path
        self.cause = cause

    def __reduce__(self):
        return (type(self), (self.path, self.cause))


class AmbiguousChat(ChatUnavailable):
    """A name matches several chats; `candidates` lists them ("Title (id)")."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        self.candidates = list(candidates or [])
        super().__init__(message)


class ControlError(TobsError):
    """A control request (tobsctl, the API) that cannot be carried out as asked.
    The subclasses say why; the API maps each to a gRPC status code."""


class NotFound(ControlError):
    """The request names something tobsd does not know (a chat, a file)."""


class AlreadyExists(ControlError):
    """The request would add what is there already."""


class InvalidArgument(ControlError):
    """The request itself is malformed (a bad date, an unparsable chat name)."""


class FailedPrecondition(ControlError):
    """The request conflicts with the configuration file or the daemon's state
    (a chat declared in the file, a login while logged in)."""


class LoginRetry(InvalidArgument):
    """A login answer was refused (wrong code, password, phone); ask again."""


class LoginFailed(InvalidArgument):
    """The login could not be completed; the message says why."""
