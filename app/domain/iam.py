"""IAM rules on API keys: which models, providers and pricing tiers a key may use.

Semantics (contract, "IAM rules"): a key without rules may use everything. Otherwise a request
(model, provider) is allowed when, for every ALLOW type the key has, it matches at least one value
of at least one rule of that type (rules of one type add up), and it matches no DENY value (deny
wins). Pricing is that of the (model, provider) offer. Model values may end in "*" to match a
prefix; provider and pricing values match exactly.

evaluate() runs on every gateway request, so rules precompute their lookup sets once and
evaluation is plain set membership and short loops.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Sequence

from app.domain.catalog import FREE, PAID, Catalog, Offer

MAX_RULES = 20
MAX_VALUES_PER_RULE = 200
PRICING_VALUES = (FREE, PAID)


class RuleType(str, enum.Enum):
    ALLOW_MODELS = "ALLOW_MODELS"
    DENY_MODELS = "DENY_MODELS"
    ALLOW_PROVIDERS = "ALLOW_PROVIDERS"
    DENY_PROVIDERS = "DENY_PROVIDERS"
    ALLOW_PRICING = "ALLOW_PRICING"
    DENY_PRICING = "DENY_PRICING"

    @property
    def is_allow(self) -> bool:
        return self.name.startswith("ALLOW_")

    @property
    def dimension(self) -> str:
        """What the rule's values name: "models", "providers" or "pricing"."""
        return self.name.split("_", 1)[1].lower()


@dataclass(frozen=True)
class Rule:
    """A stored rule. Matching sets are derived once here, not on every request."""

    id: str
    type: RuleType
    values: tuple[str, ...]
    _exact: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        rule_type = RuleType(self.type)
        values = tuple(self.values)
        object.__setattr__(self, "type", rule_type)
        object.__setattr__(self, "values", values)
        if rule_type.dimension == "models":
            exact = frozenset(v for v in values if not v.endswith("*"))
            prefixes = tuple(v[:-1] for v in values if v.endswith("*"))
        else:  # provider and pricing values are matched exactly, "*" included
            exact, prefixes = frozenset(values), ()
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefixes", prefixes)

    def match(self, subject: str) -> str | None:
        """The value of this rule that matches subject (for messages), or None."""
        if subject in self._exact:
            return subject
        for prefix in self._prefixes:
            if subject.startswith(prefix):
                return prefix + "*"
        return None


@dataclass(frozen=True)
class RuleProblem:
    """One refused piece of client input; code is VALIDATION, UNKNOWN_MODEL or UNKNOWN_PROVIDER."""

    code: str
    field: str
    message: str


def validate_rules(
    rules: list[tuple[str, list[str]]], catalog: Catalog
) -> tuple[list[tuple[RuleType, tuple[str, ...]]], list[RuleProblem]]:
    """Check client-sent (type name, values) pairs against the catalog.

    Returns the normalized rules (values trimmed, order kept) and every problem found, so a client
    sees all of them at once. The normalized rules are only meaningful when problems is empty.
    """
    problems: list[RuleProblem] = []
    normalized: list[tuple[RuleType, tuple[str, ...]]] = []
    if len(rules) > MAX_RULES:
        problems.append(RuleProblem("VALIDATION", "rules", f"at most {MAX_RULES} rules are allowed, got {len(rules)}"))
    seen_rules: dict[tuple[RuleType, frozenset[str]], int] = {}
    providers = frozenset(catalog.providers())
    for i, (type_name, raw_values) in enumerate(rules):
        where = f"rules[{i}]"
        try:
            rule_type = RuleType(type_name)
        except ValueError:
            names = ", ".join(t.value for t in RuleType)
            problems.append(RuleProblem("VALIDATION", f"{where}.type", f"unknown rule type {type_name!r}; expected one of {names}"))
            continue
        if not isinstance(raw_values, (list, tuple)):
            problems.append(RuleProblem("VALIDATION", f"{where}.values", "must be a list of strings"))
            continue
        if not raw_values:
            problems.append(RuleProblem("VALIDATION", f"{where}.values", "must hold at least one value"))
            continue
        if len(raw_values) > MAX_VALUES_PER_RULE:
            problems.append(RuleProblem(
                "VALIDATION", f"{where}.values", f"at most {MAX_VALUES_PER_RULE} values per rule, got {len(raw_values)}"
            ))
            continue
        values: list[str] = []
        seen_values: set[str] = set()
        for j, raw in enumerate(raw_values):
            vwhere = f"{where}.values[{j}]"
            if not isinstance(raw, str) or not raw.strip():
                problems.append(RuleProblem("VALIDATION", vwhere, "must be a non-empty string"))
                continue
            value = raw.strip()
            if value in seen_values:
                problems.append(RuleProblem("VALIDATION", vwhere, f"duplicate value {value!r} in this rule"))
                continue
            seen_values.add(value)
            values.append(value)
            problem = _check_value(rule_type, value, vwhere, catalog, providers)
            if problem is not None:
                problems.append(problem)
        key = (rule_type, frozenset(values))
        if key in seen_rules:
            problems.append(RuleProblem(
                "VALIDATION", where, f"duplicate of rules[{seen_rules[key]}] (same type and values)"
            ))
        else:
            seen_rules[key] = i
        normalized.append((rule_type, tuple(values)))
    return normalized, problems


def _check_value(
    rule_type: RuleType, value: str, where: str, catalog: Catalog, providers: frozenset[str]
) -> RuleProblem | None:
    dimension = rule_type.dimension
    if dimension == "models":
        if value.endswith("*"):
            if not catalog.has_model_prefix(value[:-1]):
                return RuleProblem("UNKNOWN_MODEL", where, f"no model in the catalog matches {value!r}")
        elif not catalog.has_model(value):
            return RuleProblem("UNKNOWN_MODEL", where, f"unknown model {value!r}; use an id from the catalog or a prefix ending in '*'")
        return None
    if dimension == "providers":
        if value not in providers:
            return RuleProblem("UNKNOWN_PROVIDER", where, f"unknown provider {value!r}")
        return None
    if value not in PRICING_VALUES:
        return RuleProblem("VALIDATION", where, f"pricing must be FREE or PAID, got {value!r}")
    return None


# --- evaluation ---


@dataclass(frozen=True)
class IamDecision:
    """The outcome of evaluate().

    allowed_providers is set when the request named no provider and the model is in the catalog
    (the providers whose offers pass, in catalog order, possibly empty); None otherwise.
    rule_id names the deciding rule of a refusal (None when allowed).
    """

    allowed: bool
    allowed_providers: tuple[str, ...] | None
    rule_id: str | None
    message: str


@dataclass
class _Grouped:
    """A key's rules bucketed by type, in their given order (built per call: at most MAX_RULES rules)."""

    allow_models: list[Rule] = field(default_factory=list)
    deny_models: list[Rule] = field(default_factory=list)
    allow_providers: list[Rule] = field(default_factory=list)
    deny_providers: list[Rule] = field(default_factory=list)
    allow_pricing: list[Rule] = field(default_factory=list)
    deny_pricing: list[Rule] = field(default_factory=list)

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> _Grouped:
        grouped = cls()
        for rule in rules:
            getattr(grouped, rule.type.value.lower()).append(rule)
        return grouped

    def first_offer_rule(self) -> Rule | None:
        """The most relevant provider/pricing rule, for refusals of offers the catalog does not know."""
        for bucket in (self.allow_providers, self.deny_providers, self.allow_pricing, self.deny_pricing):
            if bucket:
                return bucket[0]
        return None


def _rule_ids(rules: list[Rule]) -> str:
    if len(rules) == 1:
        return f"rule {rules[0].id}"
    return "rules " + ", ".join(r.id for r in rules)


def _check(subject: str, allow: list[Rule], deny: list[Rule], what: str, label: str) -> tuple[Rule, str] | None:
    """(deciding rule, reason) when subject fails this dimension's rules, else None. Deny is checked first."""
    for rule in deny:
        matched = rule.match(subject)
        if matched is not None:
            return rule, f"{label} is denied by rule {rule.id} ({rule.type.value} {matched})"
    if allow:
        for rule in allow:
            if rule.match(subject) is not None:
                return None
        return allow[0], f"{label} is not in this key's allowed {what} ({_rule_ids(allow)})"
    return None


def _check_offer(grouped: _Grouped, offer: Offer) -> tuple[Rule, str] | None:
    """Provider and pricing rules against one catalog offer; denies before allows so the message names a deny."""
    for rules, subject, label in (
        (grouped.deny_providers, offer.provider, f"provider {offer.provider}"),
        (grouped.deny_pricing, offer.pricing, f"{offer.pricing} offer of {offer.model} at {offer.provider}"),
    ):
        failure = _check(subject, [], rules, "", label)
        if failure is not None:
            return failure
    failure = _check(offer.provider, grouped.allow_providers, [], "providers", f"provider {offer.provider}")
    if failure is not None:
        return failure
    return _check(
        offer.pricing, grouped.allow_pricing, [], "pricing",
        f"{offer.pricing} offer of {offer.model} at {offer.provider}",
    )


def evaluate(rules: Sequence[Rule], catalog: Catalog, model: str, provider: str | None) -> IamDecision:
    """May a key with these rules call model (at provider, or at any provider when None)?"""
    offers = catalog.offers_of(model)
    in_catalog = bool(offers)
    # allowed_providers is only ever a tuple when no provider was named and the model is known.
    listing = provider is None and in_catalog

    if not rules:
        names = tuple(o.provider for o in offers) if listing else None
        return IamDecision(True, names, None, "allowed: this key has no IAM rules")

    grouped = _Grouped.of(rules)
    refused_listing = () if listing else None

    failure = _check(model, grouped.allow_models, grouped.deny_models, "models", f"model {model}")
    if failure is not None:
        rule, reason = failure
        return IamDecision(False, refused_listing, rule.id, reason)

    offer_rule = grouped.first_offer_rule()
    if not in_catalog:
        if offer_rule is not None:
            return IamDecision(
                False, None, offer_rule.id,
                f"model {model} is not in the catalog, and this key has provider or pricing rules "
                f"(rule {offer_rule.id}), which only allow catalog offers",
            )
        return IamDecision(True, None, None, f"model {model} is allowed by this key's model rules")

    if provider is not None:
        offer = catalog.offer(model, provider)
        if offer is None:
            if offer_rule is not None:
                known = ", ".join(o.provider for o in offers)
                return IamDecision(
                    False, None, offer_rule.id,
                    f"provider {provider} does not offer model {model} in the catalog (offered by {known}), "
                    f"and this key has provider or pricing rules (rule {offer_rule.id})",
                )
            return IamDecision(True, None, None, f"model {model} is allowed by this key's model rules")
        failure = _check_offer(grouped, offer)
        if failure is not None:
            rule, reason = failure
            return IamDecision(False, None, rule.id, f"model {model} at provider {provider}: {reason}")
        return IamDecision(True, None, None, f"model {model} at provider {provider} is allowed")

    passing: list[str] = []
    failures: list[tuple[str, Rule, str]] = []
    for offer in offers:
        failure = _check_offer(grouped, offer)
        if failure is None:
            passing.append(offer.provider)
        else:
            failures.append((offer.provider, failure[0], failure[1]))
    if passing:
        return IamDecision(True, tuple(passing), None, f"model {model} is allowed at {', '.join(passing)}")
    details = "; ".join(reason for _, _, reason in failures)
    return IamDecision(
        False, (), failures[0][1].id,
        f"no provider of model {model} passes this key's rules: {details}",
    )
