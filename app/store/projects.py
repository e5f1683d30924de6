"""The projects table's key_count: the plan quota's slots, taken and freed in the transaction that
creates or deletes a key."""
from __future__ import annotations

from app.store import sql


async def take_key_slot(tx, project_id: int, limit: int | None) -> bool:
    """Take one key slot of the project; False when its ``limit`` (None: no limit) is reached. The
    quota check and the slot are one conditional statement, so concurrent creates cannot both pass
    (the row stays locked until ``tx`` ends, with the key's insert)."""
    if limit is None:
        taken = await sql.execute(tx, "UPDATE projects SET key_count = key_count + 1 WHERE id = ?", [project_id])
    else:
        taken = await sql.execute(
            tx, "UPDATE projects SET key_count = key_count + 1 WHERE id = ? AND key_count < ?", [project_id, limit]
        )
    return taken == 1


async def free_key_slot(tx, project_id: int) -> None:
    """Give back the slot of a key deleted in ``tx``: a relative update, so concurrent deletes and
    creates in the project all count."""
    await sql.execute(tx, "UPDATE projects SET key_count = key_count - 1 WHERE id = ?", [project_id])
