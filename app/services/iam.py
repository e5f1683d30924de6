"""IAM rules on keys: validated against the catalog, stored in order, replaced as a whole."""
from __future__ import annotations

import json

from tortoise.transactions import in_transaction

from app import models
from app.domain import iam as iam_domain
from app.domain.catalog import Catalog
from app.domain.ids import encode
from app.domain.timeconv import to_micros
from app.services.callers import Tenant
from app.domain.audit import AuditAction
from app.services.errors import ErrorCode, Problems
from app.store import changes, sql

NormalizedRules = list[tuple[iam_domain.RuleType, tuple[str, ...]]]


def validate(rules_input: list[tuple[str, list[str]]], field: str, problems: Problems, catalog: Catalog) -> NormalizedRules:
    normalized, found = iam_domain.validate_rules(rules_input, catalog)
    for problem in found:
        # the domain names fields from "rules"; the input field may be called otherwise
        path = problem.field or "rules"
        path = field + path[len("rules"):] if path.startswith("rules") else f"{field}.{path}"
        problems.add(ErrorCode(problem.code), path, problem.message)
    return normalized


def as_pairs(rules: NormalizedRules) -> list[tuple[str, list[str]]]:
    return [(rule_type.value, list(values)) for rule_type, values in rules]


async def pairs_of_key(key_id: int, conn=None) -> list[tuple[str, list[str]]]:
    """A key's rules as (type, values) pairs, for its audit events (``conn``: read inside that transaction)."""
    return [(rule.type.value, list(rule.values)) for rule in (await rules_for_keys([key_id], conn))[key_id]]


async def replace_rules(tx, key_id: int, rules: NormalizedRules) -> None:
    await sql.execute(tx, "DELETE FROM iam_rules WHERE key_id = ?", [key_id])
    for position, (rule_type, values) in enumerate(rules):
        await sql.execute(
            tx,
            "INSERT INTO iam_rules (key_id, position, type, rule_values) VALUES (?, ?, ?, ?)",
            [key_id, position, rule_type.value, json.dumps(list(values))],
        )


async def set_rules(tenant: Tenant, clock, key_id: int | None, rules_input: list[tuple[str, list[str]]]) -> models.ApiKey:
    from app.services import catalog, keys
    from app.services.keys import get_key_or_refuse

    problems = Problems()
    rules = validate(rules_input, "rules", problems, await catalog.current())
    problems.raise_if_any()
    key = await get_key_or_refuse(tenant, key_id)
    now_us = to_micros(clock.now())
    async with in_transaction() as tx:
        key = await keys.lock_key(tx, tenant, key.id)
        before = keys.audited_fields(key, await pairs_of_key(key.id, tx))
        after = keys.audited_fields(key, as_pairs(rules))
        await replace_rules(tx, key.id, rules)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        if after != before:
            await keys.record_key_event(tx, tenant, AuditAction.KEY_IAM_RULES_UPDATED, key, before, after, now_us)
    changes.applied_locally(changes.KEY, key.id)
    return await models.ApiKey.get(id=key.id)


def rule_from_row(row) -> iam_domain.Rule:
    return iam_domain.Rule(
        id=encode("IamRule", row["id"]),
        type=iam_domain.RuleType(row["type"]),
        values=tuple(json.loads(row["rule_values"])),
    )


async def get_rule(tenant: Tenant, rule_id: int | None) -> iam_domain.Rule | None:
    """One rule, if it belongs to a key of the caller's organization (for ``node(id:)``)."""
    if rule_id is None:
        return None
    row = await sql.fetch_one(
        sql.client(),
        "SELECT r.id, r.key_id, r.type, r.rule_values FROM iam_rules r JOIN api_keys k ON k.id = r.key_id"
        " WHERE r.id = ? AND k.org_id = ?",
        [rule_id, tenant.org_id],
    )
    return None if row is None else rule_from_row(row)


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
