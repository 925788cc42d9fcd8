"""The log format for journald and the rate limit on repeated messages."""
import logging

from tobsd.core.logs import OneLineFormatter, RateLimit


def record(msg, *args, level=logging.WARNING, name="tobsd.sync", exc_info=None):
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def test_one_line_with_the_syslog_priority_under_journald():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        import sys
        exc = sys.exc_info()
    line = OneLineFormatter(journal=True).format(record("chat %s:\nfailed", "News", exc_info=exc,
                                                        level=logging.ERROR))
    assert "\n" not in line
    assert line.startswith("<3>ERROR tobsd.sync: chat News: | failed | Traceback")
    assert "ValueError: bad | thing" in line
    assert OneLineFormatter(journal=True).format(record("x", level=logging.INFO)).startswith("<6>INFO ")
    plain = OneLineFormatter(journal=False).format(record("x"))
    assert not plain.startswith("<") and " WARNING tobsd.sync: x" in plain


def test_repeats_beyond_the_burst_are_dropped_and_counted():
    now = [0.0]
    limit = RateLimit(burst=3, window_s=60, clock=lambda: now[0])
    passed = [limit.filter(record("live %s in chat %s not applied", "new", i)) for i in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert limit.filter(record("another message"))            # other messages are not held back
    now[0] = 61
    again = record("live %s in chat %s not applied", "new", 11)
    assert limit.filter(again)
    assert "(7 more like this were not logged)" in again.getMessage()
