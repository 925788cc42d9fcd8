"""Scenario files and the demo world."""
from __future__ import annotations

import json
import textwrap
import tomllib

import pytest

from fakegram.world import demo_world, load, scenario
from fakegram.world.model import ENTITY_KINDS
from fakegram.world.scenario import EXAMPLE, ScenarioError, from_dict


def messages_of(world, key):
    out, offset = [], 0
    while True:
        page = world.get_history(key, offset_id=offset, limit=100).messages
        if not page:
            return out
        out += page
        offset = page[-1].id


def test_example_scenario_loads():
    w = load(EXAMPLE)
    assert w.me == 1000 and w.users[1000].display_name == "Ada Lovelace"
    assert w.resolve_username("bob_builds") == ("user", 2001)
    assert w.resolve_username("@MAKERS")[0] == "channel"
    kinds = sorted(c.kind for c in w.chats())
    assert kinds == ["channel", "channel", "forum", "group", "private", "private"]
    bob = ("user", 2001)
    msgs = messages_of(w, bob)[::-1]
    assert [m.text for m in msgs][:2] == ["Hello, Ada! 👋 Ready for Thursday?",
                                          "Yes. Here is the plan."]
    assert msgs[1].reply_to.msg_id == msgs[0].id and msgs[1].edit_date > msgs[1].date
    assert msgs[1].media.kind == "photo" and msgs[1].media.dc_id == 4
    assert msgs[1].reactions[0].emoji == "👍" and w.chat(bob).pinned
    assert msgs[3].media.file.size == 300_000 and msgs[3].from_id == 1000
    forum = w.chat(w.resolve_username("makers"))
    assert [t.title for t in w.topics(forum.key)] == ["Software", "Hardware", "General"]
    hw = next(t for t in forum.topics if t.title == "Hardware")
    sw_msgs = w.get_history(forum.key, topic_id=hw.id + 1).messages
    assert sw_msgs[0].reply_to.msg_id == hw.id + 2  # replies across topics
    archive = w.chat(w.resolve_username("archive"))
    assert w.count(archive.key) == 5000
    group = next(c for c in w.chats() if c.kind == "group")
    added = messages_of(w, group.key)[::-1][2]  # after chat_create and the poll
    assert added.action.kind == "add_user" and added.action.user_ids == [2100]
    assert load(EXAMPLE).get_history(bob).messages == w.get_history(bob).messages


def test_json_scenario_and_errors(tmp_path):
    data = {
        "seed": 3, "me": {"id": 77, "first_name": "Me"},
        "users": [{"id": 5, "first_name": "Five", "username": "five"}],
        "chats": [{"kind": "private", "user": "five", "messages": [
            {"from": "five", "text": "dice!", "media": {"kind": "dice", "emoji": "🎯", "value": 6}},
            {"from": "me", "media": {"kind": "contact", "phone": "1", "first_name": "F",
                                     "user": "five"}},
            {"from": "me", "media": {"kind": "game", "title": "Chess"}},
        ]}, {"kind": "supergroup", "title": "SG", "members": [5], "messages": [
            {"from": 5, "text": "geo", "media": {"kind": "geo", "lat": 1.5, "long": 2.5}},
            {"from": 5, "text": "vid", "media": {"kind": "video", "dc_id": 3}},
        ]}],
    }
    path = tmp_path / "w.json"
    path.write_text(json.dumps(data))
    w = load(path)
    msgs = w.get_history(("user", 5)).messages[::-1]
    assert w.me == 77 and msgs[0].media.value == 6 and msgs[1].media.user_id == 5
    assert msgs[2].media.kind == "game"
    sg = next(c for c in w.chats() if c.kind == "supergroup")
    assert [m.media.kind for m in w.get_history(sg.key).messages[:2]] == ["video", "geo"]
    with pytest.raises(ScenarioError, match="unknown user"):
        from_dict({"chats": [{"kind": "private", "user": "nobody"}]})
    with pytest.raises(ScenarioError, match="message 0"):
        from_dict({"users": [{"id": 5}], "chats": [{"kind": "private", "user": 5,
                                                    "messages": [{"reply_to": "nope"}]}]})
    with pytest.raises(ScenarioError, match="media kind"):
        from_dict({"users": [{"id": 5}], "chats": [{"kind": "private", "user": 5,
                                                    "messages": [{"media": {"kind": "x"}}]}]})


@pytest.fixture(scope="module")
def demo():
    return demo_world()


def test_demo_has_every_chat_kind(demo):
    kinds = [c.kind for c in demo.chats()]
    assert sorted(set(kinds)) == ["channel", "forum", "group", "private", "supergroup"]
    assert kinds.count("private") >= 3
    assert any(demo.users[c.id].bot for c in demo.chats() if c.kind == "private")
    big = demo.chat(demo.resolve_username("engineweekly"))
    assert big.kind == "channel" and demo.count(big.key) >= 2000
    forum = next(c for c in demo.chats() if c.kind == "forum")
    assert len([t for t in forum.topics if t.id != 1]) == 3
    assert demo.users[demo.me].display_name == "Ada Lovelace"
    assert demo.users[demo.me].phone == "15550001000"


def test_demo_content_covers_everything(demo):
    msgs = [m for info in demo.chats() if demo.count(info.key) < 500
            for m in messages_of(demo, info.key)]
    media_kinds = {m.media.kind for m in msgs if m.media}
    for kind in ("photo", "document", "voice", "round", "video", "audio", "gif", "sticker",
                 "animated_sticker", "video_sticker", "geo", "venue", "contact", "poll",
                 "dice", "webpage"):
        assert kind in media_kinds, kind
    entity_kinds = {e.kind for m in msgs for e in m.entities}
    assert set(ENTITY_KINDS) <= entity_kinds
    actions = {m.action.kind for m in msgs if m.action}
    for kind in ("chat_create", "channel_create", "add_user", "delete_user", "join_by_link",
                 "pin", "title", "phone_call", "group_call", "topic_create", "topic_edit"):
        assert kind in actions, kind
    assert any(m.reactions for m in msgs) and any(m.edit_date for m in msgs)
    assert any(m.fwd and m.fwd.from_user_id for m in msgs)
    assert any(m.fwd and m.fwd.from_channel_id for m in msgs)
    assert any(m.reply_to and m.reply_to.quote_text for m in msgs)
    assert any(m.grouped_id for m in msgs)
    assert any(e.kind == "pre" and e.language == "python" for m in msgs for e in m.entities)
    quiz = [m.media.poll for m in msgs if m.media and m.media.kind == "poll" and m.media.poll.quiz]
    assert quiz and any(a.correct for a in quiz[0].answers)
    dcs = {m.media.dc_id for m in msgs if m.media and m.media.dc_id}
    assert dcs == {1, 2, 3, 4, 5}
    for m in msgs:  # every entity inside its text, in UTF-16 units
        u16 = len(m.text.encode("utf-16-le")) // 2
        for e in m.entities:
            assert e.offset >= 0 and e.length > 0 and e.offset + e.length <= u16, (m.text, e)
        if m.edit_date:
            assert m.edit_date >= m.date
    dates = [m.date for m in msgs]
    assert max(dates) < demo.date


def test_demo_entities_land_on_the_right_text(demo):
    msgs = [m for info in demo.chats() if demo.count(info.key) < 500
            for m in messages_of(demo, info.key)]
    showcase = next(m for m in msgs if any(e.kind == "bank_card" for e in m.entities))

    def covered(e):
        raw = showcase.text.encode("utf-16-le")
        return raw[2 * e.offset:2 * (e.offset + e.length)].decode("utf-16-le")

    by_kind = {e.kind: covered(e) for e in showcase.entities}
    assert by_kind["email"] == "ada@example.org"
    assert by_kind["mention"] == "@cbabbage"
    assert by_kind["url"] == "https://example.org/faq"
    assert by_kind["custom_emoji"] == "🔩"
    assert by_kind["bank_card"] == "4111 1111 1111 1111"
    assert by_kind["pre"].startswith("for step in range(3):")
    bolds = [covered(e) for e in showcase.entities if e.kind == "bold"]
    assert "bold italic" in bolds


def test_demo_forum_replies_across_topics(demo):
    forum = next(c for c in demo.chats() if c.kind == "forum")
    topics = {t.title: t.id for t in forum.topics}
    assert set(topics) >= {"General", "Software"}
    hardware = next(t for t in forum.topics if t.closed)
    soft = demo.get_history(forum.key, topic_id=topics["Software"]).messages
    hard_ids = {m.id for m in demo.get_history(forum.key, topic_id=hardware.id).messages}
    assert any(m.reply_to and m.reply_to.msg_id in hard_ids
               and m.reply_to.top_id == topics["Software"] for m in soft)
    assert soft[-1].action.kind == "topic_create"


def test_demo_is_deterministic(demo):
    again = demo_world()
    assert [c.key for c in again.chats()] == [c.key for c in demo.chats()]
    for info in demo.chats():
        assert again.get_history(info.key).messages == demo.get_history(info.key).messages


def test_the_documented_example_loads():
    doc = scenario.__doc__
    start = doc.index("    seed = 7")
    end = doc.index("\nMedia tables")
    w = from_dict(tomllib.loads(textwrap.dedent(doc[start:end])))
    assert w.password == "secret" and w.resolve_username("makers")
    forum = w.chat(w.resolve_username("makers"))
    msg = w.get_history(forum.key).messages[0]
    assert msg.action.kind == "pin" and msg.fwd.from_user_id == 2001
    assert msg.topic_id == forum.topics[1].id
    archive = next(c for c in w.chats() if c.title == "Archive")
    assert w.count(archive.key) == 100_000
