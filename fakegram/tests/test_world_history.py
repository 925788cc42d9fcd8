"""get_history semantics, synthetic vs explicit histories, id spaces."""
from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fakegram.world import WorldBuilder
from fakegram.world.history import ExplicitHistory, page
from fakegram.world.model import Message
from fakegram.world.synthetic import SyntheticHistory


def reference_page(msgs: list[Message], *, offset_id=0, offset_date=0, add_offset=0,
                   limit=100, max_id=0, min_id=0) -> list[Message]:
    """messages.getHistory written the slow, obvious way."""
    desc = sorted(msgs, key=lambda m: m.id, reverse=True)
    if offset_id:
        start = next((i for i, m in enumerate(desc) if m.id < offset_id), len(desc))
    elif offset_date:
        start = next((i for i, m in enumerate(desc) if m.date < offset_date), len(desc))
    else:
        start = 0
    begin = start + add_offset
    end = begin + min(limit, 100)
    taken = desc[max(0, begin):end] if limit > 0 and end > 0 else []
    return [m for m in taken if (not max_id or m.id < max_id) and (not min_id or m.id > min_id)]


def ids(msgs) -> list[int]:
    return [m.id for m in msgs]


def explicit(id_list, date_of=lambda i: 1000 + 10 * i) -> ExplicitHistory:
    return ExplicitHistory([Message(id=i, date=date_of(i), text=f"m{i}") for i in id_list])


# --- hand-checked cases (Telegram's documented pagination examples) ----------------
def test_documented_use_cases():
    h = explicit(range(1, 201))  # ids 1..200
    assert ids(page(h, limit=3)) == [200, 199, 198]
    # 20 messages older than 150
    assert ids(page(h, offset_id=150, limit=20)) == list(range(149, 129, -1))
    # 20 messages newer than 150
    assert ids(page(h, offset_id=150, add_offset=-20, limit=20)) == list(range(169, 149, -1))
    # 20 messages around 150
    assert ids(page(h, offset_id=150, add_offset=-10, limit=20)) == list(range(159, 139, -1))
    # min_id / max_id bound the page, exclusive
    assert ids(page(h, max_id=10, limit=100)) == []  # the top page holds no id < 10
    assert ids(page(h, offset_id=12, max_id=10, limit=5)) == [9, 8, 7]
    assert ids(page(h, min_id=197)) == [200, 199, 198]
    # capped at 100, and nothing for limit <= 0
    assert len(page(h, limit=500)) == 100
    assert page(h, limit=0) == [] and page(h, limit=-5) == []
    # offset_id past the bottom, add_offset past the top
    assert page(h, offset_id=1) == []
    assert ids(page(h, offset_id=300, limit=2)) == [200, 199]
    assert page(h, offset_id=199, add_offset=-50, limit=3) == []   # wholly above the top
    assert ids(page(h, offset_id=199, add_offset=-4, limit=4)) == [200, 199]  # cut at the top
    # offset_date: the newest message dated before it (date = 1000 + 10*id)
    assert ids(page(h, offset_date=1000 + 10 * 50, limit=2)) == [49, 48]
    assert ids(page(h, offset_date=1000 + 10 * 50 + 1, limit=2)) == [50, 49]
    assert page(h, offset_date=500) == []
    # offset_id wins when both are set, as Telethon's paging relies on
    assert ids(page(h, offset_id=120, offset_date=1000 + 10 * 50, limit=2)) == [119, 118]


def test_same_second_messages_page_by_id():
    """An album: several messages in one second. Paging like Telethon
    (offset_id and offset_date of the last message seen) loses none."""
    h = explicit(range(1, 41), date_of=lambda i: 5000 + i // 10)
    seen, offset_id, offset_date = [], 0, 0
    while batch := page(h, offset_id=offset_id, offset_date=offset_date, limit=7):
        seen += ids(batch)
        offset_id, offset_date = batch[-1].id, batch[-1].date
    assert seen == list(range(40, 0, -1))
    # reverse iteration as Telethon does it: offset_id + 1, add_offset = -limit;
    # every page holds only newer messages, the last one is short
    seen, last = [], 0
    while True:
        batch = page(h, offset_id=last + 1, add_offset=-7, limit=7)
        assert all(m.id > last for m in batch)
        seen += ids(reversed(batch))
        if len(batch) < 7:
            break
        last = batch[0].id
    assert seen == list(range(1, 41))


def test_sparse_ids_and_deletions_match_reference():
    rng = random.Random(5)
    id_list = sorted(rng.sample(range(1, 400), 120))
    h = explicit(id_list)
    gone = h.remove(rng.sample(id_list, 30) + [10_000])
    assert 10_000 not in gone and len(gone) == 30
    alive = [h.get(i) for i in id_list if h.get(i) is not None]
    assert h.count() == 90
    probes = [0, 1, id_list[0], id_list[57], 399, 400, 1000] + gone[:3]
    for off, add, lim, mx, mn in itertools.product(probes, (-30, -1, 0, 5), (1, 7, 100, 150),
                                                   (0, id_list[60]), (0, id_list[20])):
        got = page(h, offset_id=off, add_offset=add, limit=lim, max_id=mx, min_id=mn)
        want = reference_page(alive, offset_id=off, add_offset=add, limit=lim,
                              max_id=mx, min_id=mn)
        assert ids(got) == ids(want), (off, add, lim, mx, mn)


@st.composite
def histories(draw):
    id_list = sorted(draw(st.sets(st.integers(1, 300), max_size=80)))
    dates = sorted(draw(st.lists(st.integers(1, 5000), min_size=len(id_list),
                                 max_size=len(id_list))))
    deleted = draw(st.sets(st.sampled_from(id_list), max_size=len(id_list))) if id_list else set()
    return id_list, dict(zip(id_list, dates)), sorted(deleted)


query = dict(offset_id=st.integers(0, 320), offset_date=st.one_of(st.just(0), st.integers(0, 5100)),
             add_offset=st.integers(-120, 120), limit=st.integers(-2, 130),
             max_id=st.one_of(st.just(0), st.integers(0, 320)),
             min_id=st.one_of(st.just(0), st.integers(0, 320)))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(histories(), st.fixed_dictionaries(query))
def test_explicit_page_matches_reference(hist, q):
    id_list, dates, deleted = hist
    h = explicit(id_list, dates.__getitem__)
    h.remove(deleted)
    alive = [h.get(i) for i in id_list if i not in deleted]
    assert ids(page(h, **q)) == ids(reference_page(alive, **q))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 400), st.sets(st.integers(1, 420), max_size=60), st.integers(0, 5),
       st.fixed_dictionaries(query))
def test_synthetic_matches_explicit_copy(n, deleted, posts, q):
    syn = SyntheticHistory(seed=3, channel_id=77, base_count=n, now=10**9, media_every=7)
    for k in range(posts):
        syn.add(Message(id=syn.top_id() + 1, date=10**9 + k, text=f"post {k}"))
    syn.remove(sorted(deleted))
    copy = explicit([])
    for i in range(1, syn.top_id() + 1):
        if syn.get(i) is not None:
            copy.add(syn.get(i))
    assert syn.count() == copy.count()
    if q["offset_date"]:  # spread the drawn value over the history's dates
        q["offset_date"] = syn.first_date + q["offset_date"] * syn.step // 10
    assert page(syn, **q) == page(copy, **q)


def test_synthetic_is_deterministic_and_varied():
    a = SyntheticHistory(seed=1, channel_id=5, base_count=5000, now=10**9)
    b = SyntheticHistory(seed=1, channel_id=5, base_count=5000, now=10**9)
    other = SyntheticHistory(seed=2, channel_id=5, base_count=5000, now=10**9)
    assert [a.base_message(i) for i in range(1, 50)] == [b.base_message(i) for i in range(1, 50)]
    assert a.base_message(9).text != other.base_message(9).text
    msgs = a.window(0, 5000)
    assert ids(msgs) == list(range(5000, 0, -1))
    lengths = {len(m.text) for m in msgs}
    assert min(lengths) < 40 and max(lengths) > 400
    assert sum(bool(m.entities) for m in msgs) > 1000
    assert sum(m.reply_to is not None for m in msgs) > 200
    assert any(m.text[0] in "🔥📢🌧✅🚆" for m in msgs)
    for m in msgs:  # entities stay inside the text, in UTF-16 units
        u16 = len(m.text.encode("utf-16-le")) // 2
        for e in m.entities:
            assert 0 <= e.offset and e.offset + e.length <= u16
        if m.reply_to:
            assert 0 < m.reply_to.msg_id < m.id
    dates = [m.date for m in reversed(msgs)]
    assert dates == sorted(dates) and dates[-1] < 10**9


def test_topic_pages_and_counts():
    b = WorldBuilder(seed=1)
    bob = b.user(first_name="Bob")
    f = b.forum("F", members=[bob])
    t1, t2 = b.topic(f, "One"), b.topic(f, "Two")
    in1 = [b.message(f, f"one {i}", topic=t1) for i in range(5)]
    in2 = [b.message(f, f"two {i}", topic=t2, reply_to=in1[0]) for i in range(3)]
    general = b.message(f, "general")
    w = b.build()
    p1 = w.get_history(f.key, topic_id=t1.id)
    assert ids(p1.messages) == [m.id for m in reversed(in1)] + [t1.id] and p1.count == 6
    p2 = w.get_history(f.key, topic_id=t2.id, limit=2)
    assert ids(p2.messages) == [in2[2].id, in2[1].id] and p2.count == 4
    assert in2[0].reply_to.msg_id == in1[0].id and in2[0].reply_to.top_id == t2.id
    assert in1[0].reply_to.msg_id == t1.id and in1[0].reply_to.forum_topic
    p0 = w.get_history(f.key, topic_id=1)
    assert ids(p0.messages) == [general.id, 1]
    assert w.get_history(f.key).count == 1 + 2 + 5 + 3 + 1
    assert [t.id for t in w.topics(f.key)] == [t2.id, t1.id, 1]
    assert w.get_history(f.key, topic_id=999).messages == []


def test_common_box_is_shared_and_channels_are_dense():
    b = WorldBuilder(seed=1)
    bob, eve = b.user(first_name="Bob"), b.user(first_name="Eve")
    pb, pe = b.private(bob), b.private(eve)
    g = b.group("G", members=[bob, eve])
    c = b.channel("C")
    made = {pb.key: [], pe.key: [], g.key: [], c.key: []}
    for i in range(30):
        chat = (pb, pe, g, c)[i % 4]
        made[chat.key].append(b.message(chat, f"#{i}").id)
    w = b.build()
    common = sorted(made[pb.key] + made[pe.key] + made[g.key] + [1])  # 1: chat_create
    assert common == list(range(1, len(common) + 1))  # one counter for all three
    assert made[pb.key] != list(range(made[pb.key][0], made[pb.key][0] + len(made[pb.key])))
    assert made[c.key] == list(range(2, 2 + len(made[c.key])))  # 1 is channel_create
    for key, id_list in made.items():
        service = [1] if key in (g.key, c.key) else []
        assert ids(w.get_history(key).messages) == sorted(id_list + service, reverse=True)
    key, msg = w.find_common(made[pe.key][3])
    assert key == pe.key and msg.text == "#13" and msg.from_id == eve.id
    hit = w.find_common(made[c.key][0])
    assert hit is None or hit[0] != c.key  # channel ids are not in the common box
    assert w.find_common(10_000) is None
    assert w.split_ranges() == [(1, common[-1])]
    assert w.get_messages(pb.key, [made[pb.key][0], made[pe.key][0]])[1] is None
    sent = w.post(pe.key, "new")
    assert sent.id == common[-1] + 1 and w.find_common(sent.id)[0] == pe.key
    w.delete(pe.key, [sent.id])
    assert w.find_common(sent.id) is None
    assert w.post(c.key, "post").id == made[c.key][-1] + 1


def test_dialog_order_and_top_message():
    b = WorldBuilder(seed=1)
    bob, eve = b.user(first_name="Bob"), b.user(first_name="Eve")
    pb, pe = b.private(bob), b.private(eve)
    b.message(pb, "old")
    b.message(pe, "newer")
    w = b.build()
    assert [c.key for c in w.chats()][:2] == [pe.key, pb.key]
    w.post(pb.key, "newest")
    assert w.chats()[0].key == pb.key and w.top_message(pb.key).text == "newest"
    w.delete(pb.key, [w.top_message(pb.key).id])
    assert w.top_message(pb.key).text == "old"
