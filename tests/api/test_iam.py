"""IAM rules and the model catalog: GraphQL (Catalog, CreateApiKey, SetApiKeyIamRules, ApiKey) and
their enforcement on /v1/authorize, including a catalog imported while the app runs."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from app.domain.catalog import load_default_catalog
from app.services import catalog as catalog_service

REPO = Path(__file__).resolve().parents[2]
DEFAULT = load_default_catalog()


async def create_key(tenant, **fields) -> dict:
    payload = await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, name="k", **fields)
    assert payload["errors"] == []
    return payload


async def set_rules(tenant, key_id: str, rules: list[dict]) -> dict:
    return await tenant.gql.mutate("SetApiKeyIamRules", id=key_id, rules=rules)


async def rules_of(tenant, key_id: str) -> tuple[bool, list[dict]]:
    key = (await tenant.gql.run("ApiKey", id=key_id))["apiKey"]
    return key["hasIamRules"], key["iamRules"]


def without_ids(rules: list[dict]) -> list[dict]:
    return [{"type": r["type"], "values": r["values"]} for r in rules]


# --- the catalog -----------------------------------------------------------------------------


async def test_the_catalog_lists_the_shipped_models_and_providers(acme):
    data = await acme.gql.run("Catalog")
    assert [m["id"] for m in data["models"]] == sorted(DEFAULT.models())
    assert data["providers"] == sorted({o.provider for o in DEFAULT.offers})
    gemma = next(m for m in data["models"] if m["id"] == "google/gemma-3-27b-it")
    assert gemma["offers"][0] == {"provider": "google-ai-studio", "inputPricePerMillion": "0",
                                  "outputPricePerMillion": "0", "pricing": "FREE"}
    assert gemma["offers"][1]["pricing"] == "PAID"
    gpt = next(m for m in data["models"] if m["id"] == "openai/gpt-4o")
    assert gpt["offers"][0] == {"provider": "openai", "inputPricePerMillion": "2.5",
                                "outputPricePerMillion": "10", "pricing": "PAID"}


# --- setting rules ---------------------------------------------------------------------------


async def test_rules_given_at_creation_are_shown_with_ids(acme):
    rules = [{"type": "ALLOW_PROVIDERS", "values": ["openai", "azure"]}, {"type": "DENY_MODELS", "values": ["openai/o3*"]}]
    key = (await create_key(acme, iamRules=rules))["apiKey"]
    assert key["hasIamRules"] is True
    assert without_ids(key["iamRules"]) == rules
    assert len({r["id"] for r in key["iamRules"]}) == 2
    assert await rules_of(acme, key["id"]) == (True, key["iamRules"])


async def test_set_rules_replaces_the_whole_set_and_empty_removes_it(acme):
    key_id = (await create_key(acme, iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}]))["apiKey"]["id"]
    rules = [{"type": "ALLOW_PRICING", "values": ["FREE"]}, {"type": "DENY_PROVIDERS", "values": ["cloudflare"]}]
    payload = await set_rules(acme, key_id, rules)
    assert payload["errors"] == []
    assert without_ids(payload["apiKey"]["iamRules"]) == rules
    assert without_ids((await rules_of(acme, key_id))[1]) == rules

    payload = await set_rules(acme, key_id, [])
    assert payload["errors"] == [] and payload["apiKey"]["hasIamRules"] is False
    assert await rules_of(acme, key_id) == (False, [])


async def test_values_are_trimmed(acme):
    key = (await create_key(acme, iamRules=[{"type": "ALLOW_MODELS", "values": [" openai/gpt-4o "]}]))["apiKey"]
    assert key["iamRules"][0]["values"] == ["openai/gpt-4o"]


BAD_RULES = [
    ([{"type": "ALLOW_MODELS", "values": ["openai/gpt-99"]}], "UNKNOWN_MODEL", "[0].values[0]", "unknown model 'openai/gpt-99'"),
    ([{"type": "DENY_MODELS", "values": ["openai/gpt-4o", "nothing/*"]}], "UNKNOWN_MODEL", "[0].values[1]", "no model in the catalog matches"),
    ([{"type": "ALLOW_PROVIDERS", "values": ["nope"]}], "UNKNOWN_PROVIDER", "[0].values[0]", "unknown provider 'nope'"),
    ([{"type": "DENY_PROVIDERS", "values": ["openai/gpt-4o"]}], "UNKNOWN_PROVIDER", "[0].values[0]", "unknown provider"),
    ([{"type": "ALLOW_PRICING", "values": ["CHEAP"]}], "VALIDATION", "[0].values[0]", "pricing must be FREE or PAID"),
    ([{"type": "DENY_PRICING", "values": ["free"]}], "VALIDATION", "[0].values[0]", "pricing must be FREE or PAID"),
    ([{"type": "ALLOW_MODELS", "values": []}], "VALIDATION", "[0].values", "at least one value"),
    ([{"type": "ALLOW_MODELS", "values": ["  "]}], "VALIDATION", "[0].values[0]", "non-empty string"),
    ([{"type": "ALLOW_PROVIDERS", "values": ["openai", "openai"]}], "VALIDATION", "[0].values[1]", "duplicate value 'openai'"),
    ([{"type": "ALLOW_PROVIDERS", "values": ["openai", "azure"]}, {"type": "ALLOW_PROVIDERS", "values": ["azure", "openai"]}],
     "VALIDATION", "[1]", "duplicate of rules[0]"),
    ([{"type": "ALLOW_MODELS", "values": [m]} for m in DEFAULT.models()[:21]], "VALIDATION", "", "at most 20 rules"),
    ([{"type": "ALLOW_MODELS", "values": [f"openai/gpt-4o-{i}" for i in range(201)]}], "VALIDATION", "[0].values",
     "at most 200 values per rule"),
]


@pytest.mark.parametrize("rules, code, path, message", BAD_RULES)
async def test_bad_rules_are_refused_and_change_nothing(acme, rules, code, path, message):
    original = [{"type": "DENY_PROVIDERS", "values": ["xai"]}]
    key_id = (await create_key(acme, iamRules=original))["apiKey"]["id"]
    before = await rules_of(acme, key_id)

    payload = await set_rules(acme, key_id, rules)
    assert payload["apiKey"] is None
    assert {"code": code, "field": f"rules{path}"} in [{"code": e["code"], "field": e["field"]} for e in payload["errors"]]
    assert any(message in e["message"] for e in payload["errors"])
    assert await rules_of(acme, key_id) == before

    created = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="k2", iamRules=rules)
    assert created["apiKey"] is None and created["secret"] is None
    assert any(e["code"] == code and e["field"] == f"iamRules{path}" for e in created["errors"])
    keys = (await acme.gql.run("ProjectApiKeys", projectId=acme.project_id))["project"]
    assert keys["keyCount"] == 1


async def test_rules_on_a_foreign_key_are_not_found_and_change_nothing(acme, rival, gateway):
    created = await create_key(acme, iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])
    key_id = created["apiKey"]["id"]
    before = await rules_of(acme, key_id)
    for rules in ([], [{"type": "ALLOW_PROVIDERS", "values": ["azure"]}]):
        payload = await set_rules(rival, key_id, rules)
        assert payload == {"apiKey": None, "errors": [{"code": "NOT_FOUND", "field": "id", "message": "API key not found"}]}
    assert (await set_rules(acme, "QXBpS2V5Ojk5OTk", []))["errors"][0]["code"] == "NOT_FOUND"
    assert await rules_of(acme, key_id) == before
    answer = await gateway.authorize(key=created["secret"], model="openai/gpt-4o", provider="azure")
    assert answer["code"] == "FORBIDDEN"


# --- enforcement on /v1/authorize -------------------------------------------------------------


async def test_allowed_providers_restrict_and_are_listed(acme, gateway):
    created = await create_key(acme, iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])
    secret, rule_id = created["secret"], created["apiKey"]["iamRules"][0]["id"]

    answer = await gateway.authorize(key=secret, model="openai/gpt-4o")
    assert answer["allowed"] is True and answer["allowedProviders"] == ["openai"]

    answer = await gateway.authorize(key=secret, model="openai/gpt-4o", provider="azure")
    assert answer["allowed"] is False and answer["code"] == "FORBIDDEN"
    assert answer["ruleId"] == rule_id
    assert "provider azure is not in this key's allowed providers" in answer["message"]
    assert answer["keyId"] == created["apiKey"]["id"]

    answer = await gateway.authorize(key=secret, model="anthropic/claude-sonnet-4")
    assert answer["code"] == "FORBIDDEN" and answer["ruleId"] == rule_id and answer["allowedProviders"] == []
    assert "no provider of model anthropic/claude-sonnet-4 passes" in answer["message"]


async def test_deny_wins_over_allow_and_names_the_deny_rule(acme, gateway):
    created = await create_key(acme, iamRules=[
        {"type": "ALLOW_PROVIDERS", "values": ["openai"]},
        {"type": "DENY_MODELS", "values": ["openai/gpt-4o*"]},
    ])
    secret = created["secret"]
    deny_id = created["apiKey"]["iamRules"][1]["id"]
    answer = await gateway.authorize(key=secret, model="openai/gpt-4o-mini", provider="openai")
    assert answer["code"] == "FORBIDDEN" and answer["ruleId"] == deny_id
    assert "denied by rule" in answer["message"]
    assert (await gateway.authorize(key=secret, model="openai/o3", provider="openai"))["code"] == "VALID"


async def test_rules_of_one_type_add_up(acme, gateway):
    secret = (await create_key(acme, iamRules=[
        {"type": "ALLOW_MODELS", "values": ["openai/gpt-4o"]},
        {"type": "ALLOW_MODELS", "values": ["anthropic/*"]},
    ]))["secret"]
    for model, code in [("openai/gpt-4o", "VALID"), ("anthropic/claude-opus-4", "VALID"), ("openai/o3", "FORBIDDEN"),
                        ("mystery/model", "FORBIDDEN")]:
        assert (await gateway.authorize(key=secret, model=model))["code"] == code, model


async def test_pricing_rules_follow_the_offer(acme, gateway):
    created = await create_key(acme, iamRules=[{"type": "ALLOW_PRICING", "values": ["FREE"]}])
    secret = created["secret"]
    answer = await gateway.authorize(key=secret, model="meta/llama-3.1-8b-instruct")
    assert answer["allowed"] is True and answer["allowedProviders"] == ["cloudflare"]
    answer = await gateway.authorize(key=secret, model="meta/llama-3.1-8b-instruct", provider="groq")
    assert answer["code"] == "FORBIDDEN" and answer["ruleId"] == created["apiKey"]["iamRules"][0]["id"]
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["code"] == "FORBIDDEN"
    # a model the catalog does not know has no price: forbidden for a key with pricing rules
    answer = await gateway.authorize(key=secret, model="mystery/model")
    assert answer["code"] == "FORBIDDEN" and "not in the catalog" in answer["message"]


async def test_a_key_with_model_rules_only_may_use_models_outside_the_catalog(acme, gateway):
    secret = (await create_key(acme, iamRules=[{"type": "DENY_MODELS", "values": ["anthropic/*"]}]))["secret"]
    answer = await gateway.authorize(key=secret, model="mystery/model")
    assert answer["allowed"] is True and "allowedProviders" not in answer
    assert (await gateway.authorize(key=secret, model="anthropic/claude-3-haiku"))["code"] == "FORBIDDEN"


async def test_rule_changes_are_enforced_at_once(acme, gateway):
    created = await create_key(acme)
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await gateway.authorize(key=secret, model="xai/grok-4"))["code"] == "VALID"
    payload = await set_rules(acme, key_id, [{"type": "DENY_PROVIDERS", "values": ["xai"]}])
    answer = await gateway.authorize(key=secret, model="xai/grok-4")
    assert answer["code"] == "FORBIDDEN" and answer["ruleId"] == payload["apiKey"]["iamRules"][0]["id"]
    await set_rules(acme, key_id, [])
    assert (await gateway.authorize(key=secret, model="xai/grok-4"))["code"] == "VALID"


async def test_iam_is_checked_after_status_and_before_limits(acme, gateway):
    created = await create_key(acme, allTimeLimit="0", iamRules=[{"type": "DENY_PROVIDERS", "values": ["azure"]}])
    key_id, secret = created["apiKey"]["id"], created["secret"]
    held = await gateway.authorize(key=secret, model="openai/gpt-4o", provider="azure", estimatedCost="1", requestId="r")
    assert held["code"] == "FORBIDDEN"
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o", provider="openai"))["code"] == "USAGE_EXCEEDED"
    await acme.gql.mutate("SetApiKeyEnabled", id=key_id, enabled=False)
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o", provider="azure"))["code"] == "DISABLED"


# --- a new catalog, seen by the running app -----------------------------------------------------

NEW_CATALOG = {"models": [
    {"id": "acme/small", "offers": [
        {"provider": "acme-cloud", "inputPricePerMillion": "0", "outputPricePerMillion": "0"},
        {"provider": "openai", "inputPricePerMillion": "0.1", "outputPricePerMillion": "0.2"},
    ]},
    {"id": "openai/gpt-4o", "offers": [{"provider": "openai", "inputPricePerMillion": "3", "outputPricePerMillion": "12"}]},
]}


async def assert_new_catalog_in_use(acme, gateway, key_id: str, secret: str) -> None:
    data = await acme.gql.run("Catalog")
    assert [m["id"] for m in data["models"]] == ["acme/small", "openai/gpt-4o"]
    assert data["providers"] == ["acme-cloud", "openai"]
    assert data["models"][1]["offers"][0]["inputPricePerMillion"] == "3"
    answer = await gateway.authorize(key=secret, model="acme/small")
    assert answer["allowed"] is True and answer["allowedProviders"] == ["acme-cloud"]
    # rules are validated against the new catalog
    ok = await set_rules(acme, key_id, [{"type": "ALLOW_PROVIDERS", "values": ["acme-cloud"]}])
    assert ok["errors"] == []
    gone = await set_rules(acme, key_id, [{"type": "ALLOW_PROVIDERS", "values": ["anthropic"]}])
    assert gone["errors"][0]["code"] == "UNKNOWN_PROVIDER"


async def test_an_imported_catalog_is_used_at_once(acme, gateway, clock):
    created = await create_key(acme, iamRules=[{"type": "ALLOW_PRICING", "values": ["FREE"]}])
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await gateway.authorize(key=secret, model="acme/small"))["code"] == "FORBIDDEN"
    assert (await set_rules(acme, key_id, [{"type": "ALLOW_MODELS", "values": ["acme/small"]}]))["errors"][0]["code"] == "UNKNOWN_MODEL"

    await catalog_service.import_catalog(clock, NEW_CATALOG)
    await assert_new_catalog_in_use(acme, gateway, key_id, secret)


async def test_a_catalog_imported_by_the_cli_reaches_the_running_app_through_the_change_feed(
    acme, gateway, app, database_url, tmp_path
):
    created = await create_key(acme, iamRules=[{"type": "ALLOW_PRICING", "values": ["FREE"]}])
    key_id, secret = created["apiKey"]["id"], created["secret"]
    assert (await acme.gql.run("Catalog"))["providers"] == sorted(DEFAULT.providers())  # cached now

    path = tmp_path / "models.json"
    path.write_text(json.dumps(NEW_CATALOG))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "catalog", "import", str(path),
        cwd=REPO, env={**os.environ, "KEYPLANE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert "2 models, 3 offers" in stderr.decode()

    await app.state.change_feed.poll_once()  # what the feed's loop does every poll interval
    await assert_new_catalog_in_use(acme, gateway, key_id, secret)


async def test_a_bad_catalog_import_changes_nothing(acme, gateway, clock):
    from app.services.errors import Refused

    bad = {"models": [*NEW_CATALOG["models"], {"id": "acme/small", "offers": NEW_CATALOG["models"][0]["offers"]}]}
    with pytest.raises(Refused) as refused:
        await catalog_service.import_catalog(clock, bad)
    assert "duplicate model id" in str(refused.value)
    assert [m["id"] for m in (await acme.gql.run("Catalog"))["models"]] == sorted(DEFAULT.models())
