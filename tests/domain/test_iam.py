"""IAM rules: validation of client input, and evaluation of (model, provider) requests."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.catalog import Catalog, Offer
from app.domain.iam import (
    MAX_RULES,
    MAX_VALUES_PER_RULE,
    IamDecision,
    Rule,
    RuleType,
    evaluate,
    validate_rules,
)

B = 10**9  # nanos per dollar

# A small catalog: multi-provider models, and llama FREE at cloudflare but PAID elsewhere.
CATALOG = Catalog(
    (
        Offer("openai/gpt-4o", "openai", 2 * B + B // 2, 10 * B),
        Offer("openai/gpt-4o", "azure", 2 * B + B // 2, 10 * B),
        Offer("openai/gpt-4o-mini", "openai", B // 10, B // 2),
        Offer("meta/llama-3.3-70b", "groq", B // 2, B),
        Offer("meta/llama-3.3-70b", "together", B, B),
        Offer("meta/llama-3.3-70b", "cloudflare", 0, 0),
        Offer("google/gemma-3", "google-ai-studio", 0, 0),
        Offer("anthropic/claude-sonnet-4", "anthropic", 3 * B, 15 * B),
        Offer("anthropic/claude-sonnet-4", "aws-bedrock", 3 * B, 15 * B),
    )
)


def rules_of(*specs: tuple[str, tuple[str, ...]] | tuple[str, str, tuple[str, ...]]) -> list[Rule]:
    """Rules from (type, values) or (id, type, values); ids default to r1, r2, ..."""
    out = []
    for n, spec in enumerate(specs, start=1):
        if len(spec) == 2:
            out.append(Rule(f"r{n}", RuleType(spec[0]), tuple(spec[1])))
        else:
            out.append(Rule(spec[0], RuleType(spec[1]), tuple(spec[2])))
    return out


# --- evaluate: table ---

# (name, rules, model, provider, allowed, allowed_providers, rule_id, message fragment)
CASES = [
    # no rules
    ("no rules, named provider", [], "openai/gpt-4o", "openai", True, None, None, "no IAM rules"),
    ("no rules, any provider", [], "openai/gpt-4o", None, True, ("openai", "azure"), None, ""),
    ("no rules, unknown model", [], "x/unknown", None, True, None, None, ""),
    ("no rules, unknown offer", [], "openai/gpt-4o", "groq", True, None, None, ""),
    # models
    ("allow model exact", [("ALLOW_MODELS", ("openai/gpt-4o",))], "openai/gpt-4o", "openai", True, None, None, ""),
    ("allow model exact, other model", [("ALLOW_MODELS", ("openai/gpt-4o",))], "openai/gpt-4o-mini", "openai",
     False, None, "r1", "model openai/gpt-4o-mini is not in this key's allowed models (rule r1)"),
    ("allow model exact is not a prefix", [("ALLOW_MODELS", ("openai/gpt-4o",))], "openai/gpt-4o-mini", None,
     False, (), "r1", "not in this key's allowed models"),
    ("allow model wildcard", [("ALLOW_MODELS", ("openai/*",))], "openai/gpt-4o-mini", None, True, ("openai",), None, ""),
    ("allow model partial wildcard", [("ALLOW_MODELS", ("openai/gpt-4o*",))], "openai/gpt-4o-mini", "openai",
     True, None, None, ""),
    ("allow model star matches all", [("ALLOW_MODELS", ("*",))], "google/gemma-3", None, True, ("google-ai-studio",), None, ""),
    ("deny model exact", [("DENY_MODELS", ("openai/gpt-4o",))], "openai/gpt-4o", "openai",
     False, None, "r1", "model openai/gpt-4o is denied by rule r1 (DENY_MODELS openai/gpt-4o)"),
    ("deny model exact, other model", [("DENY_MODELS", ("openai/gpt-4o",))], "openai/gpt-4o-mini", "openai",
     True, None, None, ""),
    ("deny model wildcard names the value", [("DENY_MODELS", ("meta/x", "openai/*"))], "openai/gpt-4o", None,
     False, (), "r1", "model openai/gpt-4o is denied by rule r1 (DENY_MODELS openai/*)"),
    ("allow models add up", [("ALLOW_MODELS", ("openai/gpt-4o",)), ("ALLOW_MODELS", ("meta/*",))],
     "meta/llama-3.3-70b", "groq", True, None, None, ""),
    ("allow models add up, neither", [("ALLOW_MODELS", ("openai/gpt-4o",)), ("ALLOW_MODELS", ("meta/*",))],
     "google/gemma-3", None, False, (), "r1", "(rules r1, r2)"),
    ("deny model wins over allow", [("ALLOW_MODELS", ("openai/*",)), ("DENY_MODELS", ("openai/gpt-4o",))],
     "openai/gpt-4o", "openai", False, None, "r2", "denied by rule r2"),
    ("deny model wins over matching allow of another type",
     [("ALLOW_PROVIDERS", ("openai",)), ("DENY_MODELS", ("openai/*",))],
     "openai/gpt-4o", "openai", False, None, "r2", "denied by rule r2 (DENY_MODELS openai/*)"),
    # providers
    ("allow provider", [("ALLOW_PROVIDERS", ("azure",))], "openai/gpt-4o", "azure", True, None, None, ""),
    ("allow provider, other provider", [("ALLOW_PROVIDERS", ("azure",))], "openai/gpt-4o", "openai",
     False, None, "r1", "provider openai is not in this key's allowed providers (rule r1)"),
    ("allow provider narrows", [("ALLOW_PROVIDERS", ("azure",))], "openai/gpt-4o", None, True, ("azure",), None, ""),
    ("allow provider, no offer passes", [("ALLOW_PROVIDERS", ("azure",))], "openai/gpt-4o-mini", None,
     False, (), "r1", "no provider of model openai/gpt-4o-mini passes"),
    ("allow providers add up", [("ALLOW_PROVIDERS", ("groq",)), ("ALLOW_PROVIDERS", ("together",))],
     "meta/llama-3.3-70b", None, True, ("groq", "together"), None, ""),
    ("deny provider", [("DENY_PROVIDERS", ("groq",))], "meta/llama-3.3-70b", "groq",
     False, None, "r1", "provider groq is denied by rule r1 (DENY_PROVIDERS groq)"),
    ("deny provider narrows", [("DENY_PROVIDERS", ("groq",))], "meta/llama-3.3-70b", None,
     True, ("together", "cloudflare"), None, ""),
    ("deny provider wins over allow", [("ALLOW_PROVIDERS", ("groq", "together")), ("DENY_PROVIDERS", ("groq",))],
     "meta/llama-3.3-70b", None, True, ("together",), None, ""),
    ("deny provider wins, named", [("ALLOW_PROVIDERS", ("groq",)), ("DENY_PROVIDERS", ("groq",))],
     "meta/llama-3.3-70b", "groq", False, None, "r2", "denied by rule r2"),
    # pricing, per offer
    ("allow free, free offer", [("ALLOW_PRICING", ("FREE",))], "meta/llama-3.3-70b", "cloudflare", True, None, None, ""),
    ("allow free, paid offer", [("ALLOW_PRICING", ("FREE",))], "meta/llama-3.3-70b", "groq",
     False, None, "r1", "PAID offer of meta/llama-3.3-70b at groq is not in this key's allowed pricing (rule r1)"),
    ("allow free narrows", [("ALLOW_PRICING", ("FREE",))], "meta/llama-3.3-70b", None, True, ("cloudflare",), None, ""),
    ("allow free, paid-only model", [("ALLOW_PRICING", ("FREE",))], "openai/gpt-4o", None,
     False, (), "r1", "no provider of model openai/gpt-4o passes this key's rules"),
    ("deny paid narrows", [("DENY_PRICING", ("PAID",))], "meta/llama-3.3-70b", None, True, ("cloudflare",), None, ""),
    ("deny free narrows", [("DENY_PRICING", ("FREE",))], "meta/llama-3.3-70b", None, True, ("groq", "together"), None, ""),
    ("deny free", [("DENY_PRICING", ("FREE",))], "google/gemma-3", "google-ai-studio",
     False, None, "r1", "FREE offer of google/gemma-3 at google-ai-studio is denied by rule r1 (DENY_PRICING FREE)"),
    ("allow both pricings", [("ALLOW_PRICING", ("FREE", "PAID"))], "openai/gpt-4o", "openai", True, None, None, ""),
    # types combine: every ALLOW type must match
    ("allow model and provider, both match",
     [("ALLOW_MODELS", ("meta/*",)), ("ALLOW_PROVIDERS", ("together",))], "meta/llama-3.3-70b", None,
     True, ("together",), None, ""),
    ("allow model and pricing, pricing fails",
     [("ALLOW_MODELS", ("openai/*",)), ("ALLOW_PRICING", ("FREE",))], "openai/gpt-4o", "openai",
     False, None, "r2", "not in this key's allowed pricing (rule r2)"),
    ("provider and pricing narrow together",
     [("ALLOW_PROVIDERS", ("groq", "cloudflare")), ("DENY_PRICING", ("FREE",))], "meta/llama-3.3-70b", None,
     True, ("groq",), None, ""),
    ("every offer refused for different reasons names the first",
     [("DENY_PROVIDERS", ("groq",)), ("ALLOW_PRICING", ("FREE",)), ("DENY_PROVIDERS", ("cloudflare",))],
     "meta/llama-3.3-70b", None, False, (), "r1", "provider cloudflare is denied by rule r3"),
    # unknown model / offer
    ("only model rules, unknown model passes model rules", [("ALLOW_MODELS", ("x/*",))], "x/unknown", "anyprovider",
     True, None, None, ""),
    ("only model rules, unknown model without provider", [("DENY_MODELS", ("openai/*",))], "x/unknown", None,
     True, None, None, ""),
    ("only model rules, unknown model fails model rules", [("ALLOW_MODELS", ("openai/*",))], "x/unknown", None,
     False, None, "r1", "model x/unknown is not in this key's allowed models"),
    ("only model rules, unknown offer accepted as-is", [("ALLOW_MODELS", ("openai/*",))], "openai/gpt-4o", "groq",
     True, None, None, ""),
    ("provider rule, unknown model", [("DENY_PROVIDERS", ("groq",))], "x/unknown", "openai",
     False, None, "r1", "model x/unknown is not in the catalog"),
    ("pricing rule, unknown model", [("ALLOW_MODELS", ("*",)), ("ALLOW_PRICING", ("PAID",))], "x/unknown", None,
     False, None, "r2", "not in the catalog"),
    ("provider rule, unknown offer", [("ALLOW_PROVIDERS", ("groq", "openai"))], "openai/gpt-4o", "groq",
     False, None, "r1", "provider groq does not offer model openai/gpt-4o in the catalog (offered by openai, azure)"),
    ("pricing rule, unknown offer", [("DENY_PRICING", ("FREE",))], "openai/gpt-4o", "cloudflare",
     False, None, "r1", "does not offer model openai/gpt-4o"),
    ("model rule refusal comes first for unknown model",
     [("ALLOW_PROVIDERS", ("openai",)), ("DENY_MODELS", ("x/*",))], "x/unknown", None,
     False, None, "r2", "denied by rule r2 (DENY_MODELS x/*)"),
    # rule ids are whatever the store gave
    ("custom rule id", [("rule_abc", "DENY_PROVIDERS", ("azure",))], "openai/gpt-4o", "azure",
     False, None, "rule_abc", "denied by rule rule_abc (DENY_PROVIDERS azure)"),
]


@pytest.mark.parametrize(
    ("specs", "model", "provider", "allowed", "providers", "rule_id", "fragment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_evaluate(specs, model, provider, allowed, providers, rule_id, fragment):
    decision = evaluate(rules_of(*specs), CATALOG, model, provider)
    assert isinstance(decision, IamDecision)
    assert decision.allowed is allowed
    assert decision.allowed_providers == providers
    assert decision.rule_id == rule_id
    assert fragment in decision.message
    assert decision.message


def test_rule_coerces_type_and_values():
    rule = Rule("r", "DENY_MODELS", ["openai/*"])
    assert rule.type is RuleType.DENY_MODELS
    assert rule.values == ("openai/*",)
    assert rule == Rule("r", RuleType.DENY_MODELS, ("openai/*",))


def test_provider_and_pricing_values_do_not_wildcard():
    rules = rules_of(("ALLOW_PROVIDERS", ("open*",)))
    assert not evaluate(rules, CATALOG, "openai/gpt-4o", "openai").allowed


def test_rule_types():
    assert [t.value for t in RuleType] == [
        "ALLOW_MODELS", "DENY_MODELS", "ALLOW_PROVIDERS", "DENY_PROVIDERS", "ALLOW_PRICING", "DENY_PRICING",
    ]
    assert all(t.value == t.name for t in RuleType)


# --- validate_rules ---


def test_validate_accepts_and_normalizes():
    rules, problems = validate_rules(
        [
            ("ALLOW_MODELS", [" openai/gpt-4o ", "meta/*", "*"]),
            ("ALLOW_MODELS", ["google/gemma-3"]),
            ("DENY_PROVIDERS", ["groq"]),
            ("ALLOW_PRICING", ["FREE", "PAID"]),
            (RuleType.DENY_PRICING, ["PAID"]),
            ("DENY_MODELS", ["openai/gpt-4o*"]),
        ],
        CATALOG,
    )
    assert problems == []
    assert rules == [
        (RuleType.ALLOW_MODELS, ("openai/gpt-4o", "meta/*", "*")),
        (RuleType.ALLOW_MODELS, ("google/gemma-3",)),
        (RuleType.DENY_PROVIDERS, ("groq",)),
        (RuleType.ALLOW_PRICING, ("FREE", "PAID")),
        (RuleType.DENY_PRICING, ("PAID",)),
        (RuleType.DENY_MODELS, ("openai/gpt-4o*",)),
    ]


def test_validate_empty_rule_list_is_fine():
    assert validate_rules([], CATALOG) == ([], [])


def test_validate_allows_the_limits_exactly():
    rules = [("DENY_PROVIDERS", [p]) for p in CATALOG.providers()]
    rules += [("ALLOW_MODELS", [m]) for m in CATALOG.models()]
    rules += [("ALLOW_PRICING", ["FREE"]), ("ALLOW_PRICING", ["PAID"]), ("DENY_PRICING", ["FREE"])]
    rules += [("ALLOW_MODELS", [p]) for p in ("openai/*", "meta/*", "*", "google/*", "anthropic/*")]
    rules = rules[:MAX_RULES]
    assert len(rules) == MAX_RULES
    assert validate_rules(rules, CATALOG)[1] == []
    wide = Catalog(tuple(Offer("m/x", f"p{i}", 1, 1) for i in range(MAX_VALUES_PER_RULE)))
    values = [f"p{i}" for i in range(MAX_VALUES_PER_RULE)]
    assert validate_rules([("ALLOW_PROVIDERS", values)], wide)[1] == []


# (name, input rules, expected (code, field) problems, message fragment of the first)
REFUSALS = [
    ("unknown type", [("ALLOW_MODEL", ["openai/gpt-4o"])], [("VALIDATION", "rules[0].type")], "unknown rule type"),
    ("lowercase type", [("allow_models", ["openai/gpt-4o"])], [("VALIDATION", "rules[0].type")], "ALLOW_MODELS"),
    ("empty values", [("DENY_MODELS", [])], [("VALIDATION", "rules[0].values")], "at least one value"),
    ("values not a list", [("DENY_MODELS", "openai/*")], [("VALIDATION", "rules[0].values")], "list"),
    ("too many values", [("DENY_PROVIDERS", [f"p{i}" for i in range(MAX_VALUES_PER_RULE + 1)])],
     [("VALIDATION", "rules[0].values")], f"at most {MAX_VALUES_PER_RULE}"),
    ("too many rules", [("DENY_PROVIDERS", ["groq"])] + [("ALLOW_MODELS", [m]) for m in ["*"] * MAX_RULES],
     None, f"at most {MAX_RULES} rules"),
    ("blank value", [("DENY_PROVIDERS", ["groq", "  "])], [("VALIDATION", "rules[0].values[1]")], "non-empty"),
    ("non-string value", [("DENY_PROVIDERS", [3])], [("VALIDATION", "rules[0].values[0]")], "non-empty string"),
    ("duplicate value", [("DENY_PROVIDERS", ["groq", "azure", "groq"])], [("VALIDATION", "rules[0].values[2]")],
     "duplicate value 'groq'"),
    ("duplicate value after trimming", [("ALLOW_MODELS", ["openai/*", " openai/* "])],
     [("VALIDATION", "rules[0].values[1]")], "duplicate"),
    ("duplicate rule", [("DENY_PROVIDERS", ["groq", "azure"]), ("ALLOW_MODELS", ["*"]), ("DENY_PROVIDERS", ["azure", "groq"])],
     [("VALIDATION", "rules[2]")], "duplicate of rules[0]"),
    ("unknown model", [("ALLOW_MODELS", ["openai/gpt-5"])], [("UNKNOWN_MODEL", "rules[0].values[0]")], "openai/gpt-5"),
    ("model prefix without star", [("ALLOW_MODELS", ["openai/"])], [("UNKNOWN_MODEL", "rules[0].values[0]")], ""),
    ("wildcard matching nothing", [("DENY_MODELS", ["mistral/*"])], [("UNKNOWN_MODEL", "rules[0].values[0]")],
     "no model in the catalog matches 'mistral/*'"),
    ("star not at the end", [("DENY_MODELS", ["openai/*-mini"])], [("UNKNOWN_MODEL", "rules[0].values[0]")], ""),
    ("model case matters", [("DENY_MODELS", ["OpenAI/gpt-4o"])], [("UNKNOWN_MODEL", "rules[0].values[0]")], ""),
    ("unknown provider", [("ALLOW_PROVIDERS", ["openai", "bedrock"])], [("UNKNOWN_PROVIDER", "rules[0].values[1]")],
     "unknown provider 'bedrock'"),
    ("provider wildcard", [("DENY_PROVIDERS", ["*"])], [("UNKNOWN_PROVIDER", "rules[0].values[0]")], ""),
    ("bad pricing", [("ALLOW_PRICING", ["CHEAP"])], [("VALIDATION", "rules[0].values[0]")], "FREE or PAID"),
    ("lowercase pricing", [("DENY_PRICING", ["free"])], [("VALIDATION", "rules[0].values[0]")], "FREE or PAID"),
    ("several problems reported at once",
     [("ALLOW_MODELS", ["nope/x"]), ("NOPE", ["x"]), ("ALLOW_PROVIDERS", ["nope"])],
     [("UNKNOWN_MODEL", "rules[0].values[0]"), ("VALIDATION", "rules[1].type"), ("UNKNOWN_PROVIDER", "rules[2].values[0]")],
     ""),
]


@pytest.mark.parametrize(("rules", "expected", "fragment"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_validate_refusals(rules, expected, fragment):
    _, problems = validate_rules(rules, CATALOG)
    assert problems
    if expected is not None:
        assert [(p.code, p.field) for p in problems] == expected
    else:
        assert problems[0].code == "VALIDATION" and problems[0].field == "rules"
    assert fragment in problems[0].message


def test_several_rules_of_one_type_are_not_duplicates():
    _, problems = validate_rules([("ALLOW_MODELS", ["openai/*"]), ("ALLOW_MODELS", ["openai/*", "meta/*"])], CATALOG)
    assert problems == []


# --- properties ---

MODEL_VALUES = CATALOG.models() + ["openai/*", "meta/*", "*", "openai/gpt-4o*", "anthropic/*", "google/*"]
PROVIDER_VALUES = CATALOG.providers()
PRICING_VALUES = ["FREE", "PAID"]
VALUES_BY_DIMENSION = {"models": MODEL_VALUES, "providers": PROVIDER_VALUES, "pricing": PRICING_VALUES}

# Every catalog offer, plus requests the catalog does not know, to pin the unknown-model rules too.
PAIRS = [(o.model, o.provider) for o in CATALOG.offers] + [
    ("openai/gpt-4o", "groq"),
    ("x/unknown", "openai"),
    ("x/unknown", None),
    ("openai/unknown", None),
] + [(m, None) for m in CATALOG.models()]


@st.composite
def rule_specs(draw, types=st.sampled_from(list(RuleType))):
    rule_type = draw(types)
    pool = VALUES_BY_DIMENSION[rule_type.dimension]
    values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    return rule_type, tuple(values)


def build(specs) -> list[Rule]:
    return [Rule(f"r{i}", t, v) for i, (t, v) in enumerate(specs)]


def allowed_set(rules: list[Rule]) -> set[tuple[str, str | None]]:
    return {pair for pair in PAIRS if evaluate(rules, CATALOG, *pair).allowed}


def _matches(rule: Rule, model: str, offer: Offer) -> bool:
    subject = {"models": model, "providers": offer.provider, "pricing": offer.pricing}[rule.type.dimension]
    for value in rule.values:
        if value == subject or (rule.type.dimension == "models" and value.endswith("*") and subject.startswith(value[:-1])):
            return True
    return False


PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(st.sampled_from(PAIRS))
def test_no_rules_allow_everything(pair):
    decision = evaluate([], CATALOG, *pair)
    assert decision.allowed and decision.rule_id is None
    model, provider = pair
    if provider is None and CATALOG.offers_of(model):
        assert decision.allowed_providers == tuple(o.provider for o in CATALOG.offers_of(model))


@PROPS
@given(st.lists(rule_specs(), max_size=5), rule_specs(st.sampled_from([t for t in RuleType if not t.is_allow])))
def test_adding_a_deny_rule_never_allows_more(specs, deny):
    before = allowed_set(build(specs))
    after = allowed_set(build(specs + [deny]))
    assert after <= before


@PROPS
@given(st.lists(rule_specs(), max_size=5), st.data())
def test_adding_an_allow_rule_of_a_new_type_never_allows_more(specs, data):
    present = {t for t, _ in specs}
    new_types = [t for t in RuleType if t.is_allow and t not in present]
    if not new_types:
        return
    allow = data.draw(rule_specs(st.sampled_from(new_types)))
    before = allowed_set(build(specs))
    after = allowed_set(build(specs + [allow]))
    assert after <= before


@PROPS
@given(st.lists(rule_specs(), min_size=1, max_size=6), st.sampled_from(CATALOG.offers))
def test_an_offer_matched_by_a_deny_is_refused(specs, offer):
    rules = build(specs)
    denying = [r for r in rules if not r.type.is_allow and _matches(r, offer.model, offer)]
    decision = evaluate(rules, CATALOG, offer.model, offer.provider)
    if denying:
        assert not decision.allowed
        assert decision.rule_id in {r.id for r in rules}
        listing = evaluate(rules, CATALOG, offer.model, None)
        assert offer.provider not in (listing.allowed_providers or ())


@PROPS
@given(st.lists(rule_specs(), min_size=1, max_size=6), st.sampled_from(CATALOG.offers))
def test_evaluation_matches_the_contract_for_catalog_offers(specs, offer):
    """A direct restatement of the contract's rule, as an oracle for every catalog offer."""
    rules = build(specs)
    expected = not any(not r.type.is_allow and _matches(r, offer.model, offer) for r in rules)
    for allow_type in {r.type for r in rules if r.type.is_allow}:
        if not any(_matches(r, offer.model, offer) for r in rules if r.type is allow_type):
            expected = False
    decision = evaluate(rules, CATALOG, offer.model, offer.provider)
    assert decision.allowed is expected
    assert (decision.rule_id is None) is expected


@PROPS
@given(st.lists(rule_specs(), max_size=6), st.sampled_from(CATALOG.models()))
def test_allowed_providers_are_the_providers_that_pass_one_by_one(specs, model):
    rules = build(specs)
    listing = evaluate(rules, CATALOG, model, None)
    one_by_one = tuple(
        o.provider for o in CATALOG.offers_of(model) if evaluate(rules, CATALOG, model, o.provider).allowed
    )
    assert listing.allowed_providers == one_by_one
    assert listing.allowed is bool(one_by_one)
