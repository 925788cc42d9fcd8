"""tobsd.core.logs: tobsd's loggers at the configured level, every library at
warning unless asked."""
from __future__ import annotations

import logging

import pytest

from tobsd.core.logs import LIBRARIES_ENV, setup_logging


@pytest.fixture(autouse=True)
def logging_levels_restored():
    loggers = [logging.getLogger(), logging.getLogger("tobsd")]
    levels = [lg.level for lg in loggers]
    yield
    for lg, level in zip(loggers, levels):
        lg.setLevel(level)


def test_libraries_log_at_warning_unless_asked(monkeypatch):
    monkeypatch.delenv(LIBRARIES_ENV, raising=False)
    setup_logging("debug")
    assert logging.getLogger("tobsd.store.db").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.INFO)
    assert not logging.getLogger("telethon.network").isEnabledFor(logging.INFO)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.WARNING)
    monkeypatch.setenv(LIBRARIES_ENV, "debug")
    setup_logging("info")
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("tobsd.sync").isEnabledFor(logging.DEBUG)
