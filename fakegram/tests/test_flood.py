"""fakegram's flood model: token buckets, growing waits, the penalty box, and
the unmodified Telethon client meeting them over TCP."""
from __future__ import annotations

import json

import pytest
from telethon import errors, functions, types

from fakegram.control import Control, ControlError
from fakegram.flood import Family, FloodGate, FloodModel, Penalty, default_model, load_model
from fakegram.testing import connected_client
from fakegram.world import scenario


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def model(rate=2.0, burst=3.0, **penalty) -> FloodModel:
    return FloodModel("test", (Family("history", ("messages.getHistory",), rate=rate, burst=burst,
                                      takeout_rate=rate * 4, takeout_burst=burst * 2),
                               Family("files", ("upload.*",), rate=10, burst=10)),
                      Penalty(**penalty))


def test_a_full_bucket_lets_the_burst_through_then_answers_the_time_to_the_next_token():
    clock = Clock()
    gate = FloodGate(model(rate=2.0, burst=3.0), clock)
    assert [gate.check("messages.getHistory", 1, False) for _ in range(3)] == [None] * 3
    assert gate.check("messages.getHistory", 1, False) == 1      # 0.5 s to a token, at least 1
    assert gate.answered == {"history": 1} and gate.passed == {"history": 3}


def test_the_sustained_rate_passes_forever_without_a_wait():
    clock = Clock()
    gate = FloodGate(model(rate=2.0, burst=1.0), clock)
    for _ in range(200):
        assert gate.check("messages.getHistory", 1, False) is None
        clock.now += 0.5
    assert gate.answered == {}


def test_repeat_offences_within_the_window_grow_the_wait_up_to_the_cap():
    clock = Clock()
    gate = FloodGate(model(rate=1.0, burst=1.0, growth=2.0, window_s=100, max_wait_s=20), clock)
    waits = []
    for _ in range(6):
        assert gate.check("messages.getHistory", 1, False) is None
        wait = gate.check("messages.getHistory", 1, False)
        waits.append(wait)
        clock.now += wait          # the client honours the wait exactly
    assert waits == [1, 2, 4, 8, 16, 20]
    clock.now += 101               # the window passes: back to the plain wait
    assert gate.check("messages.getHistory", 1, False) is None
    assert gate.check("messages.getHistory", 1, False) == 1


def test_the_penalty_box_refuses_a_client_that_ignores_the_wait_until_it_ends():
    clock = Clock()
    gate = FloodGate(model(rate=1.0, burst=5.0, growth=3.0), clock)
    for _ in range(5):
        gate.check("messages.getHistory", 1, False)
    gate.check("messages.getHistory", 1, False)           # offence 1: 1 s
    gate.check("messages.getHistory", 1, False)           # still boxed: the 1 s left
    clock.now += 1.0
    # The bucket refilled one token while boxed, which this request takes.
    assert gate.check("messages.getHistory", 1, False) is None
    assert gate.check("messages.getHistory", 1, False) == 3   # offence 2 within the window
    clock.now += 1.0
    assert gate.check("messages.getHistory", 1, False) == 2   # boxed: 2 s left, although a token is there
    clock.now += 2.0
    assert gate.check("messages.getHistory", 1, False) is None


def test_buckets_are_per_key_per_family_and_takeout_has_its_own():
    clock = Clock()
    gate = FloodGate(model(rate=1.0, burst=1.0), clock)
    assert gate.check("messages.getHistory", 1, False) is None
    assert gate.check("messages.getHistory", 1, False) is not None
    assert gate.check("messages.getHistory", 2, False) is None            # another auth key
    assert gate.check("upload.getFile", 1, False) is None                 # another family
    assert [gate.check("messages.getHistory", 1, True) for _ in range(2)] == [None, None]  # burst 2
    assert gate.check("messages.getHistory", 1, True) is not None
    assert gate.check("help.getConfig", 1, False) is None                 # not limited at all


def test_models_load_from_json_toml_and_tables_and_scale(tmp_path):
    data = model().to_dict()
    (tmp_path / "m.json").write_text(json.dumps(data))
    (tmp_path / "m.toml").write_text(
        'name = "t"\n[[families]]\nmethods = "messages.getHistory"\nrate = 2\nburst = 4\n')
    assert load_model(str(tmp_path / "m.json")) == model()
    toml = load_model(str(tmp_path / "m.toml"))
    assert toml.family_of("messages.getHistory").limits(True) == (2.0, 4.0)
    assert load_model("default") == default_model()
    strict = default_model().scaled(0.5)
    assert strict.family_of("messages.getHistory").rate == 0.5
    assert strict.family_of("messages.getHistory").limits(True)[0] == 1.5
    with pytest.raises(ValueError, match=r"families\[0\]"):
        load_model({"families": [{"methods": ["x"], "rate": 1}]})
    with pytest.raises(ValueError, match="at least one family"):
        load_model({"families": []})


def test_a_world_file_switches_the_model_on(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('flood_model = "default"\n[[chats]]\nkind = "channel"\ntitle = "News"\n')
    assert scenario.load(path).flood_model == default_model()
    path.write_text('flood_model = {families = []}\n')
    with pytest.raises(scenario.ScenarioError, match="flood_model"):
        scenario.load(path)


async def test_telethon_meets_the_limit_over_tcp_and_the_log_records_each_wait(server, world):
    control = Control(server)
    with pytest.raises(ControlError):
        control.set_flood_model({"families": "nonsense"})
    control.set_flood_model({"name": "tight", "families": [
        {"name": "history", "methods": ["messages.getHistory"], "rate": 0.01, "burst": 2}]})
    async with connected_client(server, flood_sleep_threshold=0) as client:
        await client.get_dialogs()
        entity = await client.get_input_entity(types.PeerChannel(
            next(c.id for c in world.chats() if c.title == "News")))
        request = functions.messages.GetHistoryRequest(
            peer=entity, offset_id=0, offset_date=None, add_offset=0, limit=10,
            max_id=0, min_id=0, hash=0)
        await client(request)
        await client(request)
        with pytest.raises(errors.FloodWaitError) as info:
            await client(request)
        assert info.value.seconds == 100          # 1 token at 0.01/s
        await client.get_dialogs()                # other methods stay free
    log = [r for r in server.request_log() if r["method"] == "messages.getHistory"]
    assert [r["error"] for r in log] == [None, None, "FLOOD_WAIT_100"]
    stats = control.flood_model()
    assert stats["flood_waits"] == {"history": 1} and stats["passed"] == {"history": 2}
    assert control.set_flood_model(None) == {"model": None}
