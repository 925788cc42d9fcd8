"""`Titles` over a real SQLite store: topic titles are asked for once and
kept, renames come only from live service messages, and people renamed
rename their private chats."""
from __future__ import annotations

import pytest

from tobsd.core.models import ActionKind, Chat, ChatKind, Person, ServiceAction, Topic
from tobsd.store import Store
from tobsd.sync.titles import Titles
from tests.unit.sync.fakesource import msg

FORUM = Chat(id=-1000000000099, kind=ChatKind.FORUM, title="Workshop")


class Source:
    """Answers topic lists from `known`, counting the topics asked by id."""

    def __init__(self, known: dict[int, str]):
        self.known = known
        self.asked: list[list[int]] = []

    async def topics(self, chat):
        return [Topic(chat.id, i, t) for i, t in self.known.items()]

    async def topics_by_id(self, chat, ids):
        self.asked.append(list(ids))
        return [Topic(chat.id, i, self.known[i]) for i in ids if i in self.known]


class Writer:
    def __init__(self):
        self.topics: dict[int, str] = {}
        self.renamed: list[Person] = []

    def register_topic(self, topic):
        self.topics[topic.id] = topic.title

    async def rename_people(self, people):
        self.renamed += people


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "tobsd.db")
    await s.chats.upsert(FORUM.id, FORUM.kind.value, FORUM.title)
    await s.chats.upsert(2001, "user", "Bob Stone")
    yield s
    await s.close()


def in_topic(msg_id, topic_id, action=None):
    m = msg(FORUM.id, msg_id)
    m.topic_id, m.action = topic_id, action
    return m


async def test_unknown_topics_are_asked_once_and_kept(store):
    source, writer = Source({1: "General", 5: "Plans/Ideas"}), Writer()
    titles = Titles(source, store, writer)
    await titles.prepare(FORUM, [in_topic(10, 5), in_topic(11, 5), in_topic(12, 7)])
    assert source.asked == [[5, 7]]
    assert writer.topics == {5: "Plans/Ideas"}
    await titles.prepare(FORUM, [in_topic(13, 5), in_topic(14, 7)])
    assert source.asked == [[5, 7]]          # 7 does not exist: not asked again
    # A deleted topic's creating message still names it.
    created = in_topic(20, 20, ServiceAction(ActionKind.TOPIC_CREATE, title="Gone soon"))
    source.known.pop(5)
    await titles.prepare(FORUM, [created])
    assert writer.topics[20] == "Gone soon"
    # Another run starts from the store, before asking Telegram anything.
    again = Titles(Source({}), store, Writer())
    await again.load(FORUM)
    assert again.writer.topics == {5: "Plans/Ideas", 20: "Gone soon"}


async def test_live_service_messages_rename(store):
    source, writer = Source({1: "General", 5: "Hardware"}), Writer()
    titles = Titles(source, store, writer)
    assert await titles.refresh_topics(FORUM)
    assert not await titles.refresh_topics(FORUM)    # nothing new: nothing stored again
    edit = in_topic(30, 5, ServiceAction(ActionKind.TOPIC_EDIT, title="Hardware v2"))
    closed = in_topic(31, 5, ServiceAction(ActionKind.TOPIC_EDIT, closed=True))
    chat = Chat(FORUM.id, FORUM.kind, FORUM.title)
    assert await titles.follow(chat, [edit, closed])
    assert writer.topics[5] == "Hardware v2"
    assert (await store.topics.titles(FORUM.id))[5] == "Hardware v2"
    renamed = in_topic(32, 1, ServiceAction(ActionKind.TITLE, title="Workshop 2"))
    assert await titles.follow(chat, [renamed])
    assert chat.title == "Workshop 2"
    assert (await store.chats.get(FORUM.id)).title == "Workshop 2"
    dm = Chat(2001, ChatKind.USER, "Bob Stone")
    renamed = await titles.rename_people([chat, dm], [Person(2001, "Robert Stone")])
    assert renamed == [dm] and dm.title == "Robert Stone"
    assert [p.name for p in writer.renamed] == ["Robert Stone"]
