"""Update state: pts counters, the update log, differences, subscribers."""
from __future__ import annotations

import pytest

from fakegram.world import WorldBuilder, WorldEvent
from fakegram.world.model import Entity


def small_world(log_size: int = 10_000):
    b = WorldBuilder(seed=2, now=1_700_000_000)
    bob = b.user(first_name="Bob")
    p = b.private(bob)
    for i in range(3):
        b.message(p, f"hi {i}")
    g = b.group("G", members=[bob])
    c = b.channel("C")
    b.message(c, "first post")
    s = b.synthetic_channel("S", count=1000)
    return b.build(log_size=log_size), p.key, g.key, c.key, s.key


def test_initial_state():
    w, p, g, c, s = small_world()
    assert w.pts == 4  # 3 private messages + chat_create in the common box
    assert w.channel_pts(c) == 2 and w.channel_pts(s) == 1000
    assert w.difference(w.pts).events == [] and w.difference(w.pts).final_pts == w.pts
    old = w.difference(1)  # before the log began
    assert old.too_long and old.final_pts == w.pts
    with pytest.raises(KeyError):
        w.channel_pts(p)


def test_post_edit_delete_bump_pts_and_notify_synchronously():
    w, p, g, c, s = small_world()
    seen: list[WorldEvent] = []
    unsubscribe = w.subscribe(seen.append)
    pts0, cpts0, date0 = w.pts, w.channel_pts(c), w.date

    m = w.post(p, "hello", entities=[Entity("bold", 0, 5)])
    assert seen[-1].kind == "new" and seen[-1].messages == [m] and seen[-1].chat == p
    assert w.pts == pts0 + 1 == seen[-1].pts and seen[-1].pts_count == 1
    assert m.from_id == w.me and m.date == date0 + 1 and w.date == m.date

    e = w.edit(p, m.id, "hello there", date=date0 + 100)
    assert e.edit_date == date0 + 100 and e.text == "hello there" and e.date == m.date
    assert w.get_messages(p, [m.id]) == [e] and seen[-1].kind == "edit"
    assert w.pts == pts0 + 2 and w.date == date0 + 100

    prev = w.get_history(p, offset_id=m.id, limit=1).messages[0].id
    assert w.delete(g, [prev]) == []  # not in that chat, though in the common box
    gone = w.delete(p, [m.id, 99_999, prev])
    assert gone == [m.id, prev]
    assert seen[-1].kind == "delete" and seen[-1].ids == gone and seen[-1].pts_count == 2
    assert w.pts == pts0 + 4 and w.count(p) == 2
    assert w.delete(p, [99_999]) == [] and len(seen) == 3  # nothing deleted, no event

    post = w.post(c, "news")
    assert post.post and post.from_id is None and post.id == 3
    assert w.channel_pts(c) == cpts0 + 1 == seen[-1].pts and w.pts == pts0 + 4

    unsubscribe()
    w.post(p, "quiet")
    assert len(seen) == 4
    with pytest.raises(KeyError):
        w.edit(p, 12345, "x")
    with pytest.raises(KeyError):
        w.post(("channel", 1), "nowhere")


def test_difference_returns_events_in_order_with_limits():
    w, p, g, c, s = small_world()
    start = w.pts
    made = [w.post(p if i % 2 else g, f"m{i}") for i in range(10)]
    w.delete(g, [made[0].id, made[2].id])
    d = w.difference(start)
    assert not d.too_long and d.final_pts == w.pts == start + 12
    assert [e.kind for e in d.events] == ["new"] * 10 + ["delete"]
    assert [e.messages[0].id for e in d.events[:10]] == [m.id for m in made]
    assert [e.pts for e in d.events] == list(range(start + 1, start + 11)) + [start + 12]
    part = w.difference(start + 3, limit=4)
    assert [e.pts for e in part.events] == [start + 4, start + 5, start + 6, start + 7]
    assert part.final_pts == start + 7
    assert w.difference(start + 11).events[0].ids == [made[0].id, made[2].id]


def test_difference_too_long_after_the_log_rolls_over():
    w, p, g, c, s = small_world(log_size=5)
    start = w.pts
    for i in range(8):
        w.post(p, f"m{i}")
    assert w.difference(start).too_long
    assert w.difference(start + 2).too_long
    kept = w.difference(start + 3)  # the 5 newest events are still there
    assert not kept.too_long and len(kept.events) == 5 and kept.final_pts == start + 8
    cstart = w.channel_pts(c)
    for i in range(7):
        w.post(c, f"c{i}")
    assert w.channel_difference(c, cstart).too_long
    d = w.channel_difference(c, cstart + 4, limit=2)
    assert [e.pts for e in d.events] == [cstart + 5, cstart + 6] and d.final_pts == cstart + 6


def test_channel_difference_is_per_channel():
    w, p, g, c, s = small_world()
    cs, ss = w.channel_pts(c), w.channel_pts(s)
    w.post(c, "to c")
    w.post(s, "to s")
    w.delete(s, [1, 2, 3])
    assert [e.chat for e in w.channel_difference(c, cs).events] == [c]
    d = w.channel_difference(s, ss)
    assert [(e.kind, e.pts_count) for e in d.events] == [("new", 1), ("delete", 3)]
    assert d.final_pts == ss + 4
    assert w.channel_difference(s, w.channel_pts(s)).events == []


def test_synthetic_overlay_edits_deletes_and_posts():
    w, p, g, c, s = small_world()
    top = w.get_history(s, limit=1).messages[0]
    assert top.id == 1000 and w.count(s) == 1000
    edited = w.edit(s, 500, "corrected")
    assert w.get_messages(s, [500])[0].text == "corrected" and edited.edit_date
    assert w.delete(s, [10, 11, 12, 2000]) == [10, 11, 12]
    new = w.post(s, "breaking")
    assert new.id == 1001 and w.count(s) == 998
    page = w.get_history(s, offset_id=14, limit=5).messages
    assert [m.id for m in page] == [13, 9, 8, 7, 6]
    page = w.get_history(s, offset_id=502, limit=3).messages
    assert [m.id for m in page] == [501, 500, 499] and page[1].text == "corrected"
    assert [m.id for m in w.get_history(s, limit=2).messages] == [1001, 1000]
    assert w.get_messages(s, [11, 1001, 1002]) == [None, new, None]
    w.delete(s, [1001])
    assert w.top_message(s).id == 1000
    assert w.post(s, "again").id == 1002  # deleted ids are not reused


def test_delete_common_spans_chats():
    w, p, g, c, s = small_world()
    a, b = w.post(p, "a"), w.post(g, "b")
    seen = []
    w.subscribe(seen.append)
    assert sorted(w.delete_common([a.id, b.id, 424242])) == sorted([a.id, b.id])
    assert {e.chat for e in seen} == {p, g}
    assert w.find_common(a.id) is None and w.find_common(b.id) is None


def test_forum_post_gets_topic_reply_header():
    b = WorldBuilder(seed=1)
    f = b.forum("F")
    t = b.topic(f, "T")
    w = b.build()
    m = w.post(f.key, "in topic", topic_id=t.id)
    assert m.topic_id == t.id and m.reply_to.msg_id == t.id and m.reply_to.forum_topic
    assert w.get_history(f.key, topic_id=t.id).messages[0] == m
