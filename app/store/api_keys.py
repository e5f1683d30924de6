"""The api_keys rows as the management services change them: the lock a change starts with, the
roll of a secret, the delete (the data plane's reads and writes are in app/store/keystate.py)."""
from __future__ import annotations

from app.store import sql


async def lock_key(tx, key_id: int, org_id: int) -> bool:
    """Lock the key's row until ``tx`` ends; False when the organization has no such key. A write
    that changes nothing, first: a row lock on PostgreSQL, the write lock on SQLite (so SQLite
    never has to upgrade a read lock later in the transaction)."""
    locked = await sql.execute(tx, "UPDATE api_keys SET enabled = enabled WHERE id = ? AND org_id = ?",
                               [key_id, org_id])
    return locked == 1


async def roll_secret(tx, key_id: int, org_id: int, key_hash: str, masked_key: str, keep_previous: bool,
                      previous_until: int | None) -> bool:
    """Give the key a new secret; with ``keep_previous`` the current one becomes the previous one
    (until ``previous_until``), else there is none. One statement, in which every right-hand side
    reads the row as it was, so the current hash is moved without being read first. False when the
    key is gone."""
    rolled = await sql.execute(
        tx,
        "UPDATE api_keys SET previous_key_hash = CASE WHEN ? THEN key_hash ELSE NULL END,"
        " previous_key_expires_at = ?, key_hash = ?, masked_key = ?"
        " WHERE id = ? AND org_id = ?",
        [keep_previous, previous_until, key_hash, masked_key, key_id, org_id],
    )
    return rolled == 1


async def delete_key(tx, key_id: int, org_id: int) -> bool:
    """Delete the key (its rules, windows, holds and usage records go with it, ON DELETE CASCADE);
    False when it was already gone. Only zero means gone: SQLite's count also includes the rows the
    cascade removed."""
    deleted = await sql.execute(tx, "DELETE FROM api_keys WHERE id = ? AND org_id = ?", [key_id, org_id])
    return deleted != 0
