"""The model catalog: the shipped default, strict parsing of catalog files, and the round trip."""
from __future__ import annotations

import copy
import decimal
import json
from pathlib import Path

import pytest

from app.domain.catalog import (
    Catalog,
    CatalogError,
    Offer,
    catalog_to_json,
    load_default_catalog,
    parse_catalog,
)

CATALOG_FILE = Path(__file__).resolve().parents[2] / "app" / "data" / "catalog.json"


def _valid() -> dict:
    return {
        "models": [
            {
                "id": "openai/gpt-4o",
                "offers": [
                    {"provider": "openai", "inputPricePerMillion": "2.5", "outputPricePerMillion": "10"},
                    {"provider": "azure", "inputPricePerMillion": "2.5", "outputPricePerMillion": "10"},
                ],
            },
            {
                "id": "meta/llama-3.3-70b-instruct",
                "offers": [
                    {"provider": "groq", "inputPricePerMillion": "0.59", "outputPricePerMillion": "0.79"},
                    {"provider": "cloudflare", "inputPricePerMillion": "0", "outputPricePerMillion": "0"},
                ],
            },
        ]
    }


# --- the default catalog ---


def test_default_catalog_loads_and_is_realistic():
    catalog = load_default_catalog()
    models = catalog.models()
    assert len(models) >= 30
    assert models == sorted(models)
    assert "openai/gpt-4o" in models
    assert "anthropic/claude-sonnet-4" in models
    assert "meta/llama-3.3-70b-instruct" in models
    for provider in ("openai", "anthropic", "aws-bedrock", "groq", "together", "deepinfra", "azure"):
        assert provider in catalog.providers()


def test_default_catalog_has_multi_provider_models():
    catalog = load_default_catalog()
    assert {o.provider for o in catalog.offers_of("anthropic/claude-sonnet-4")} >= {"anthropic", "aws-bedrock"}
    assert {o.provider for o in catalog.offers_of("openai/gpt-4o")} >= {"openai", "azure"}
    assert {o.provider for o in catalog.offers_of("meta/llama-3.3-70b-instruct")} >= {"groq", "together", "deepinfra"}


def test_default_catalog_has_free_offers_and_a_model_both_free_and_paid():
    catalog = load_default_catalog()
    free = [o for o in catalog.offers if o.pricing == "FREE"]
    assert free
    assert all(o.input_nanos == 0 and o.output_nanos == 0 for o in free)
    mixed = [m for m in catalog.models() if {o.pricing for o in catalog.offers_of(m)} == {"FREE", "PAID"}]
    assert mixed


def test_default_catalog_prices():
    catalog = load_default_catalog()
    gpt4o = catalog.offer("openai/gpt-4o", "openai")
    assert gpt4o == Offer("openai/gpt-4o", "openai", 2_500_000_000, 10_000_000_000)
    assert gpt4o.pricing == "PAID"


def test_default_catalog_file_round_trips():
    data = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    assert catalog_to_json(parse_catalog(data)) == data


# --- lookups ---


def test_lookups():
    catalog = parse_catalog(_valid())
    assert catalog.models() == ["meta/llama-3.3-70b-instruct", "openai/gpt-4o"]
    assert catalog.providers() == ["azure", "cloudflare", "groq", "openai"]
    assert [o.provider for o in catalog.offers_of("openai/gpt-4o")] == ["openai", "azure"]
    assert catalog.offers_of("nope/nope") == ()
    assert catalog.offer("openai/gpt-4o", "groq") is None
    assert catalog.offer("meta/llama-3.3-70b-instruct", "cloudflare").pricing == "FREE"
    assert catalog.offer("meta/llama-3.3-70b-instruct", "groq").pricing == "PAID"
    assert catalog.has_model_prefix("openai/")
    assert catalog.has_model_prefix("")
    assert not catalog.has_model_prefix("anthropic/")


def test_returned_lists_are_copies():
    catalog = parse_catalog(_valid())
    catalog.models().clear()
    catalog.providers().clear()
    assert catalog.models() and catalog.providers()


@pytest.mark.parametrize(
    ("input_nanos", "output_nanos", "pricing"),
    [(0, 0, "FREE"), (1, 0, "PAID"), (0, 1, "PAID"), (5, 7, "PAID")],
)
def test_offer_pricing(input_nanos, output_nanos, pricing):
    assert Offer("m", "p", input_nanos, output_nanos).pricing == pricing


# --- parsing prices ---


@pytest.mark.parametrize(
    ("raw", "nanos"),
    [
        ("0", 0),
        ("2.5", 2_500_000_000),
        ("10", 10_000_000_000),
        ("0.000000001", 1),
        ("0.0350", 35_000_000),
        ("1.0000000000000", 1_000_000_000),  # trailing zeros beyond 9 places change nothing
        ("1000000", 1_000_000 * 10**9),
        (3, 3_000_000_000),
        (0, 0),
    ],
)
def test_accepted_prices(raw, nanos):
    data = _valid()
    data["models"][0]["offers"][0]["inputPricePerMillion"] = raw
    assert parse_catalog(data).offer("openai/gpt-4o", "openai").input_nanos == nanos


def test_parsing_ignores_the_global_decimal_context():
    with decimal.localcontext() as ctx:
        ctx.prec = 2
        ctx.traps[decimal.Inexact] = True
        catalog = parse_catalog(_valid())
    assert catalog.offer("meta/llama-3.3-70b-instruct", "groq").input_nanos == 590_000_000


# --- refusals: each malformed case, with the place it names ---


def _mutated(mutate) -> object:
    """Apply mutate to a fresh valid document: it edits in place (returns None) or returns a replacement."""
    data = copy.deepcopy(_valid())
    result = mutate(data)
    return data if result is None else result


def _set_offer(field: str, value):
    def mutate(d):
        d["models"][1]["offers"][0][field] = value
    return mutate


def _drop_model_field(field: str):
    def mutate(d):
        del d["models"][1][field]
    return mutate


def _drop_offer_field(field: str):
    def mutate(d):
        del d["models"][1]["offers"][0][field]
    return mutate


def _set_model_id(value):
    def mutate(d):
        d["models"][1]["id"] = value
    return mutate


def _set_provider(value):
    return _set_offer("provider", value)


REFUSALS = [
    # not an object / top level
    ("not an object", lambda d: [d], "catalog: must be an object"),
    ("null", lambda d: "null", "catalog: must be an object"),
    ("missing models", lambda d: {}, "models: is required"),
    ("extra top-level field", lambda d: {**d, "version": 1}, "version: unknown field"),
    ("models not a list", lambda d: {"models": {}}, "models: must be a list"),
    ("empty catalog", lambda d: {"models": []}, "models: must not be empty"),
    # model objects
    ("model not an object", lambda d: d["models"].__setitem__(1, "x"), "models[1]: must be an object"),
    ("missing model id", _drop_model_field("id"), "models[1].id: is required"),
    ("missing offers", _drop_model_field("offers"), "models[1].offers: is required"),
    ("extra model field", lambda d: d["models"][1].update(name="x"), "models[1].name: unknown field"),
    ("offers not a list", lambda d: d["models"][1].update(offers={}), "models[1].offers: must be a list"),
    ("model with no offers", lambda d: d["models"][1].update(offers=[]), "models[1].offers: must not be empty"),
    # model ids
    ("id not a string", _set_model_id(5), "models[1].id: must be a string"),
    ("empty id", _set_model_id(""), "models[1].id: must not be empty"),
    ("blank id", _set_model_id("   "), "models[1].id: must not be empty"),
    ("over-long id", _set_model_id("m/" + "x" * 199), "models[1].id: must be at most 200 characters"),
    ("id with a space", _set_model_id("meta/llama 3"), "models[1].id: must not contain whitespace"),
    ("id with a trailing newline", _set_model_id("meta/llama\n"), "models[1].id: must not contain whitespace"),
    ("id with a control char", _set_model_id("meta/\x00llama"), "models[1].id: must not contain whitespace or control"),
    ("id with a zero-width char", _set_model_id("meta/\u200bllama"), "models[1].id: must not contain whitespace or control"),
    ("id ending in *", _set_model_id("meta/*"), "models[1].id: must not end with '*'"),
    ("duplicate model id", _set_model_id("openai/gpt-4o"), "models[1].id: duplicate model id"),
    # offers
    ("offer not an object", lambda d: d["models"][1]["offers"].__setitem__(0, []), "models[1].offers[0]: must be an object"),
    ("missing provider", _drop_offer_field("provider"), "models[1].offers[0].provider: is required"),
    ("missing input price", _drop_offer_field("inputPricePerMillion"),
     "models[1].offers[0].inputPricePerMillion: is required"),
    ("missing output price", _drop_offer_field("outputPricePerMillion"),
     "models[1].offers[0].outputPricePerMillion: is required"),
    ("extra offer field", _set_offer("currency", "USD"), "models[1].offers[0].currency: unknown field"),
    ("provider not a string", _set_provider(None), "models[1].offers[0].provider: must be a string"),
    ("empty provider", _set_provider(""), "models[1].offers[0].provider: must not be empty"),
    ("blank provider", _set_provider("\t"), "models[1].offers[0].provider: must not be empty"),
    ("over-long provider", _set_provider("p" * 201), "models[1].offers[0].provider: must be at most 200"),
    ("provider with whitespace", _set_provider("aws bedrock"), "models[1].offers[0].provider: must not contain whitespace"),
    ("provider with a control char", _set_provider("groq\x7f"), "models[1].offers[0].provider: must not contain"),
    ("duplicate offer", lambda d: d["models"][1]["offers"].append(dict(d["models"][1]["offers"][0])),
     "models[1].offers[2].provider: duplicate offer"),
    # prices
    ("float price", _set_offer("inputPricePerMillion", 2.5), "models[1].offers[0].inputPricePerMillion: must be a decimal"),
    ("bool price", _set_offer("outputPricePerMillion", True), "models[1].offers[0].outputPricePerMillion: must be a decimal"),
    ("null price", _set_offer("inputPricePerMillion", None), "models[1].offers[0].inputPricePerMillion: must be a decimal"),
    ("list price", _set_offer("inputPricePerMillion", ["1"]), "models[1].offers[0].inputPricePerMillion: must be a decimal"),
    ("non-numeric price", _set_offer("inputPricePerMillion", "cheap"), "inputPricePerMillion: must be a plain decimal"),
    ("empty price", _set_offer("inputPricePerMillion", ""), "inputPricePerMillion: must be a plain decimal"),
    ("exponent price", _set_offer("inputPricePerMillion", "1E+1"), "inputPricePerMillion: must be a plain decimal"),
    ("NaN price", _set_offer("inputPricePerMillion", "NaN"), "inputPricePerMillion: must be a plain decimal"),
    ("Infinity price", _set_offer("inputPricePerMillion", "Infinity"), "inputPricePerMillion: must be a plain decimal"),
    ("price with spaces", _set_offer("inputPricePerMillion", " 1"), "inputPricePerMillion: must be a plain decimal"),
    ("price with a plus", _set_offer("inputPricePerMillion", "+1"), "inputPricePerMillion: must be a plain decimal"),
    ("price with a bare dot", _set_offer("inputPricePerMillion", "1."), "inputPricePerMillion: must be a plain decimal"),
    ("non-ASCII digits", _set_offer("inputPricePerMillion", "\u0661"), "inputPricePerMillion: must be a plain decimal"),
    ("negative price", _set_offer("inputPricePerMillion", "-0.5"), "models[1].offers[0].inputPricePerMillion: must not be negative"),
    ("negative int price", _set_offer("outputPricePerMillion", -1), "models[1].offers[0].outputPricePerMillion: must not be negative"),
    ("too many decimals", _set_offer("inputPricePerMillion", "0.0000000001"), "inputPricePerMillion: must have at most 9 decimal places"),
    ("too expensive", _set_offer("inputPricePerMillion", "1000000.000000001"), "inputPricePerMillion: must be at most 1000000"),
    ("too expensive int", _set_offer("outputPricePerMillion", 10**7), "outputPricePerMillion: must be at most 1000000"),
]


@pytest.mark.parametrize(("mutate", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals(mutate, message):
    with pytest.raises(CatalogError) as excinfo:
        parse_catalog(_mutated(mutate))
    assert message in str(excinfo.value), str(excinfo.value)


def test_catalog_error_is_a_value_error():
    assert issubclass(CatalogError, ValueError)


# --- round trip ---


def test_round_trip_preserves_order_and_formats_prices_plainly():
    data = _valid()
    data["models"][0]["offers"][0]["inputPricePerMillion"] = "2.50"  # normalized on the way out
    data["models"][1]["offers"][0]["outputPricePerMillion"] = 7  # ints come back as strings
    out = catalog_to_json(parse_catalog(data))
    assert out["models"][0]["offers"][0]["inputPricePerMillion"] == "2.5"
    assert out["models"][1]["offers"][0]["outputPricePerMillion"] == "7"
    assert [m["id"] for m in out["models"]] == ["openai/gpt-4o", "meta/llama-3.3-70b-instruct"]
    assert parse_catalog(out) == parse_catalog(data)
    assert catalog_to_json(parse_catalog(out)) == out


@pytest.mark.parametrize(
    ("nanos", "text"),
    [(0, "0"), (1, "0.000000001"), (35_000_000, "0.035"), (10**9, "1"), (10**15, "1000000"), (1_234_500_000, "1.2345")],
)
def test_round_trip_price_formatting(nanos, text):
    catalog = Catalog((Offer("a/b", "p", nanos, nanos),))
    out = catalog_to_json(catalog)
    assert out["models"][0]["offers"][0]["inputPricePerMillion"] == text
    assert parse_catalog(out) == catalog


def test_round_trip_survives_json_encoding():
    catalog = load_default_catalog()
    assert parse_catalog(json.loads(json.dumps(catalog_to_json(catalog)))) == catalog
