"""Exporting a key's usage records: the key is looked up in the caller's organization first,
then its records are read in batches, oldest first, as the response is sent."""
from __future__ import annotations

from typing import AsyncIterator

from app.domain.export import ExportRequest
from app.services import keys
from app.services.callers import Tenant
from app.store import sql, usage_records

BATCH = 1000


async def check_key(tenant: Tenant, request: ExportRequest) -> None:
    """Refuses (NOT_FOUND) a key that does not exist or belongs to another organization."""
    await keys.get_key_or_refuse(tenant, request.key_id)


async def record_batches(request: ExportRequest, batch: int = BATCH) -> AsyncIterator[list[dict]]:
    """The key's records in the range, ``batch`` at a time (keyset pagination: never all in memory)."""
    after = None
    while True:
        rows = await usage_records.in_time_order(sql.client(), request.key_id, request.from_us, request.to_us,
                                                 after, batch)
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = (rows[-1]["occurred_at"], rows[-1]["id"])
