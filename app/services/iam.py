"""IAM rules on keys: validated against the catalog, stored in order, replaced as a whole."""
from __future__ import annotations


from app import models
from app.domain import iam as iam_domain
from app.domain.catalog import Catalog
from app.domain.timeconv import to_micros
from app.services import key_access
from app.services.catalog import CatalogCache
from app.services.callers import Tenant
from app.domain.audit import AuditAction
from app.services.errors import ErrorCode, Problems
from app.store import changes, iam_rules

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
    return [(rule.type.value, list(rule.values)) for rule in (await iam_rules.rules_for_keys([key_id], conn))[key_id]]


async def set_rules(tenant: Tenant, clock, catalogs: CatalogCache, key_id: int | None,
                    rules_input: list[tuple[str, list[str]]]) -> models.ApiKey:
    problems = Problems()
    rules = validate(rules_input, "rules", problems, await catalogs.current())
    problems.raise_if_any()
    key = await key_access.get_key_or_refuse(tenant, key_id)
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        key = await key_access.lock_key(tx, tenant, key.id)
        before = key_access.audited_fields(key, await pairs_of_key(key.id, tx))
        after = key_access.audited_fields(key, as_pairs(rules))
        await iam_rules.replace_rules(tx, key.id, rules)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        if after != before:
            await key_access.record_key_event(tx, tenant, AuditAction.KEY_IAM_RULES_UPDATED, key, before, after, now_us)
    return await models.ApiKey.get(id=key.id)


async def get_rule(tenant: Tenant, rule_id: int | None) -> iam_domain.Rule | None:
    """One rule, if it belongs to a key of the caller's organization (for ``node(id:)``)."""
    if rule_id is None:
        return None
    return await iam_rules.rule_of_org(tenant.org_id, rule_id)
