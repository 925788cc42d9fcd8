"""The Telegram layer: the only package of tobsd that imports Telethon.

`TelethonSource` implements `tobsd.core.ports.TelegramSource`; `DcPool`
downloads media; `interactive_login` is `tobsd login`. Everything that leaves
this package is a core model or a core error.
"""
from .dcpool import DcPool, MediaGone
from .floodstore import FloodPersistence, FloodTableAdapter, MemoryFloodStore
from .login import LoginFailed, interactive_login
from .scheduler import RateScheduler, request_key
from .source import TelethonSource

__all__ = ["DcPool", "FloodPersistence", "FloodTableAdapter", "LoginFailed", "MediaGone",
           "MemoryFloodStore", "RateScheduler", "TelethonSource", "interactive_login",
           "request_key"]
