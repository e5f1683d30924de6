"""The iam_rules table: a key's rules in order, replaced whole, read in bulk."""
from __future__ import annotations

import json

from app.domain import iam as iam_domain
from app.domain.ids import encode
from app.store import sql


async def replace_rules(tx, key_id: int, rules: list[tuple[iam_domain.RuleType, tuple[str, ...]]]) -> None:
    """The key's rules become ``rules`` (normalized: services/iam.validate), in that order."""
    await sql.execute(tx, "DELETE FROM iam_rules WHERE key_id = ?", [key_id])
    for position, (rule_type, values) in enumerate(rules):
        await sql.execute(
            tx,
            "INSERT INTO iam_rules (key_id, position, type, rule_values) VALUES (?, ?, ?, ?)",
            [key_id, position, rule_type.value, json.dumps(list(values))],
        )


def rule_from_row(row) -> iam_domain.Rule:
    return iam_domain.Rule(
        id=encode("IamRule", row["id"]),
        type=iam_domain.RuleType(row["type"]),
        values=tuple(json.loads(row["rule_values"])),
    )


async def rules_for_keys(key_ids: list[int], conn=None) -> dict[int, list[iam_domain.Rule]]:
    """Every rule of these keys, in order, in one query."""
    result: dict[int, list[iam_domain.Rule]] = {key_id: [] for key_id in key_ids}
    if not key_ids:
        return result
    marks = ", ".join("?" for _ in key_ids)
    rows = await sql.fetch(
        conn or sql.client(),
        f"SELECT id, key_id, type, rule_values FROM iam_rules WHERE key_id IN ({marks}) ORDER BY key_id, position",
        key_ids,
    )
    for row in rows:
        result[row["key_id"]].append(rule_from_row(row))
    return result


async def rule_of_org(org_id: int, rule_id: int) -> iam_domain.Rule | None:
    """One rule, if it belongs to a key of that organization."""
    row = await sql.fetch_one(
        sql.client(),
        "SELECT r.id, r.key_id, r.type, r.rule_values FROM iam_rules r JOIN api_keys k ON k.id = r.key_id"
        " WHERE r.id = ? AND k.org_id = ?",
        [rule_id, org_id],
    )
    return None if row is None else rule_from_row(row)
