"""One write construct (app/store/changes.write): a change reaches this instance's caches exactly
when its transaction commits, never when it rolls back, and a change outside the construct is
refused instead of silently missing the caches."""
import pytest
from tortoise.transactions import in_transaction

from app.store import changes, migrations, sql


@pytest.fixture
async def migrated(connected):
    await migrations.migrate(0)


class Seen:
    def __init__(self) -> None:
        self.changes: list[tuple[str, int | None]] = []

    def __call__(self, kind: str, ref_id: int | None) -> None:
        self.changes.append((kind, ref_id))

    def __enter__(self):
        changes.subscribe_local(self)
        return self

    def __exit__(self, *exc) -> None:
        changes.unsubscribe_local(self)


async def feed_rows() -> list[tuple[str, int]]:
    return [(r["kind"], r["ref_id"]) for r in await sql.fetch(sql.client(), "SELECT kind, ref_id FROM changes ORDER BY seq")]


async def test_changes_are_applied_after_the_commit_and_callbacks_run_then(migrated):
    calls = []
    with Seen() as seen:
        async with changes.write() as tx:
            await changes.emit(tx, changes.KEY, 7, 1)
            await changes.emit(tx, changes.COUNTERS, 7, 1)  # applied in place by its writer: not here
            changes.after_commit(tx, lambda: calls.append(list(seen.changes)))
            assert seen.changes == [] and calls == []  # nothing before the commit
    assert seen.changes == [(changes.KEY, 7)]
    assert calls == [[(changes.KEY, 7)]]  # callbacks run after the changes were applied
    assert await feed_rows() == [(changes.KEY, 7), (changes.COUNTERS, 7)]


async def test_a_write_that_rolls_back_applies_nothing_and_leaves_no_feed_row(migrated):
    calls = []
    with Seen() as seen, pytest.raises(ZeroDivisionError):
        async with changes.write() as tx:
            await changes.emit(tx, changes.KEY, 8, 1)
            changes.after_commit(tx, lambda: calls.append(1))
            1 / 0
    assert seen.changes == [] and calls == [] and await feed_rows() == []


async def test_a_change_outside_the_construct_is_refused(migrated):
    async with in_transaction() as tx:
        with pytest.raises(RuntimeError, match="changes.write"):
            await changes.emit(tx, changes.KEY, 9, 1)
