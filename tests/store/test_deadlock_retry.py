"""A usage batch that PostgreSQL aborts to break a deadlock is written again, once, whole."""
import asyncpg
import pytest

from app.services import usage
from app.store import sql


def test_a_deadlock_is_recognised_through_the_exceptions_that_wrap_it():
    try:
        try:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        except Exception as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert sql.is_deadlock(outer)
    assert not sql.is_deadlock(RuntimeError("something else"))


async def test_a_batch_aborted_by_a_deadlock_is_written_again(monkeypatch):
    calls = []

    async def once(clock, events, retention_days, alongside):
        calls.append(1)
        if len(calls) == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return ["written"], None

    monkeypatch.setattr(usage, "_record_once", once)
    assert await usage.record_events(None, [], 0) == ["written"]
    assert len(calls) == 2


async def test_other_errors_are_not_retried(monkeypatch):
    calls = []

    async def once(clock, events, retention_days, alongside):
        calls.append(1)
        raise ValueError("a bug")

    monkeypatch.setattr(usage, "_record_once", once)
    with pytest.raises(ValueError):
        await usage.record_events(None, [], 0)
    assert len(calls) == 1
