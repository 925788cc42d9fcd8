"""The fakegram world: one account's view of a fake Telegram.

    from fakegram.world import WorldBuilder, load, demo_world

`WorldBuilder` describes a world in Python, `load` reads a JSON/TOML
scenario file (see `fakegram.world.scenario`), `demo_world` is the world the
demo and many tests use. The `World` they return is what the TL layer serves.
"""
from .builder import WorldBuilder
from .demo import demo_world
from .model import (Action, ChatInfo, Entity, FileBlob, Forward, Media, Message, Poll,
                    PollAnswer, PhotoSize, Reaction, Reply, Topic, User)
from .scenario import load
from .world import Difference, HistoryPage, World, WorldEvent

__all__ = [
    "WorldBuilder", "load", "demo_world", "World", "HistoryPage", "WorldEvent",
    "Difference", "Action", "ChatInfo", "Entity", "FileBlob", "Forward", "Media",
    "Message", "Poll", "PollAnswer", "PhotoSize", "Reaction", "Reply", "Topic", "User",
]
