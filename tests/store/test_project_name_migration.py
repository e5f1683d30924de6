"""Migration 3 (unique project names) upgrades a database whose projects already share names."""
from __future__ import annotations

import pytest

from app import models
from app.domain.timeconv import to_micros
from app.services import projects
from app.services.callers import Tenant
from app.services.errors import Refused
from app.store import migrations, sql
from tests.support.clock import FakeClock

VERSION = next(m.version for m in migrations.MIGRATIONS if m.name == "unique project names per organization")


async def test_older_duplicate_names_survive_and_new_ones_are_refused(connected):
    clock = FakeClock()
    now_us = to_micros(clock.now())
    await migrations.migrate(now_us, target=VERSION - 1)
    conn = sql.client()
    for name in ("acme", "beta"):
        await sql.execute(conn, "INSERT INTO organizations (name, plan, created_at) VALUES (?, 'FREE', ?)", [name, now_us])
    for org, name in ((1, "Ops"), (1, "ops"), (1, "Web"), (2, "OPS")):
        await sql.execute(conn, "INSERT INTO projects (org_id, name, key_count, created_at) VALUES (?, ?, 0, ?)",
                          [org, name, now_us])

    assert VERSION in await migrations.migrate(now_us)
    rows = await sql.fetch(conn, "SELECT org_id, name, name_key FROM projects ORDER BY id")
    assert [tuple(r.values()) for r in map(dict, rows)] == [
        (1, "Ops", "ops"), (1, "ops", None), (1, "Web", "web"), (2, "OPS", "ops")]

    for taken in ("OPS", " web"):
        with pytest.raises(Refused, match="already used"):
            await projects.create_project(Tenant(1, None), clock, taken)
    with pytest.raises(Exception):   # the index itself refuses a second key, whatever the service does
        await sql.execute(conn, "INSERT INTO projects (org_id, name, name_key, key_count, created_at) "
                                "VALUES (1, 'OPS', 'ops', 0, ?)", [now_us])
    assert await models.Project.filter(org_id=1).count() == 3
