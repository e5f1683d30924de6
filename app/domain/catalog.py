"""The model catalog: which models the gateway serves, through which providers, at what price.

Prices are integer nano-dollars per million tokens (1 dollar = 10**9 nanos), so comparisons
and the FREE/PAID split are exact. The file format (see the contract, "Catalog") carries them
as plain decimal strings:

    {"models": [{"id": "openai/gpt-4o", "offers": [
        {"provider": "openai", "inputPricePerMillion": "2.5", "outputPricePerMillion": "10"}]}]}

Everything here is pure except load_default_catalog(), which reads the file shipped with the package.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain import money
from app.domain.text import has_control_characters

MAX_ID_LENGTH = 200

FREE = "FREE"
PAID = "PAID"

_DEFAULT_CATALOG_PATH = Path(__file__).resolve().parent.parent / "data" / "catalog.json"



@dataclass(frozen=True)
class Offer:
    """One provider's offer of one model, with its list prices per million tokens."""

    model: str
    provider: str
    input_nanos: int
    output_nanos: int

    @property
    def pricing(self) -> str:
        """FREE when both prices are 0, else PAID (what ALLOW_PRICING / DENY_PRICING rules match)."""
        return FREE if self.input_nanos == 0 and self.output_nanos == 0 else PAID


@dataclass(frozen=True)
class Catalog:
    """An immutable set of offers with lookups precomputed once (the gateway consults it per request).

    The constructor does not validate: parse_catalog() does. Tests may build small catalogs directly.
    """

    offers: tuple[Offer, ...]
    _by_model: dict[str, tuple[Offer, ...]] = field(init=False, repr=False, compare=False, hash=False)
    _by_pair: dict[tuple[str, str], Offer] = field(init=False, repr=False, compare=False, hash=False)
    _models: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)
    _providers: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        offers = tuple(self.offers)
        by_model: dict[str, list[Offer]] = {}
        by_pair: dict[tuple[str, str], Offer] = {}
        for offer in offers:
            by_model.setdefault(offer.model, []).append(offer)
            by_pair.setdefault((offer.model, offer.provider), offer)
        object.__setattr__(self, "offers", offers)
        # dicts keep insertion order: models in file order, which catalog_to_json relies on.
        object.__setattr__(self, "_by_model", {m: tuple(o) for m, o in by_model.items()})
        object.__setattr__(self, "_by_pair", by_pair)
        object.__setattr__(self, "_models", tuple(sorted(by_model)))
        object.__setattr__(self, "_providers", tuple(sorted({o.provider for o in offers})))

    def models(self) -> list[str]:
        """Sorted model ids."""
        return list(self._models)

    def model_ids_in_order(self) -> list[str]:
        """Model ids in file order (first appearance)."""
        return list(self._by_model)

    def has_model(self, model: str) -> bool:
        return model in self._by_model

    def offers_of(self, model: str) -> tuple[Offer, ...]:
        """The model's offers in file order; () when the model is unknown."""
        return self._by_model.get(model, ())

    def offer(self, model: str, provider: str) -> Offer | None:
        return self._by_pair.get((model, provider))

    def providers(self) -> list[str]:
        """Sorted distinct provider ids."""
        return list(self._providers)

    def has_model_prefix(self, prefix: str) -> bool:
        """Whether some model id starts with prefix (validates wildcard rule values like "openai/*")."""
        return any(m.startswith(prefix) for m in self._models)


class CatalogError(ValueError):
    """A refused catalog file; the message names the offending place, e.g. "models[3].id: must not be empty"."""


# --- prices: the grammar and bounds live in money.parse_price ---


def _parse_price(raw: Any, where: str) -> int:
    try:
        return money.parse_price(raw)
    except money.MoneyError as exc:
        raise CatalogError(f"{where}: {exc}") from None


# --- parsing ---


def _check_id(raw: Any, where: str) -> str:
    """Ids are compared exactly by the gateway, so refuse anything that could hide a difference."""
    if not isinstance(raw, str):
        raise CatalogError(f"{where}: must be a string")
    if not raw.strip():
        raise CatalogError(f"{where}: must not be empty")
    if len(raw) > MAX_ID_LENGTH:
        raise CatalogError(f"{where}: must be at most {MAX_ID_LENGTH} characters")
    if has_control_characters(raw) or any(ch.isspace() or unicodedata.category(ch) == "Zs" for ch in raw):
        raise CatalogError(f"{where}: must not contain whitespace or control characters")
    return raw


def _check_object(raw: Any, where: str, required: tuple[str, ...]) -> dict:
    """A JSON object with exactly the required keys: unknown keys are refused, as they are usually typos."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where or 'catalog'}: must be an object")
    prefix = f"{where}." if where else ""
    for key in required:
        if key not in raw:
            raise CatalogError(f"{prefix}{key}: is required")
    for key in raw:
        if key not in required:
            raise CatalogError(f"{prefix}{key}: unknown field")
    return raw


def parse_catalog(data: Any) -> Catalog:
    """The Catalog described by decoded JSON data, or CatalogError naming the first problem found."""
    obj = _check_object(data, "", ("models",))
    models = obj["models"]
    if not isinstance(models, list):
        raise CatalogError("models: must be a list")
    if not models:
        raise CatalogError("models: must not be empty")
    offers: list[Offer] = []
    seen_models: set[str] = set()
    for i, raw_model in enumerate(models):
        mw = f"models[{i}]"
        model_obj = _check_object(raw_model, mw, ("id", "offers"))
        model_id = _check_id(model_obj["id"], f"{mw}.id")
        if model_id.endswith("*"):
            raise CatalogError(f"{mw}.id: must not end with '*' (reserved for wildcard rules)")
        if model_id in seen_models:
            raise CatalogError(f"{mw}.id: duplicate model id {model_id!r}")
        seen_models.add(model_id)
        raw_offers = model_obj["offers"]
        if not isinstance(raw_offers, list):
            raise CatalogError(f"{mw}.offers: must be a list")
        if not raw_offers:
            raise CatalogError(f"{mw}.offers: must not be empty")
        seen_providers: set[str] = set()
        for j, raw_offer in enumerate(raw_offers):
            ow = f"{mw}.offers[{j}]"
            offer_obj = _check_object(
                raw_offer, ow, ("provider", "inputPricePerMillion", "outputPricePerMillion")
            )
            provider = _check_id(offer_obj["provider"], f"{ow}.provider")
            if provider in seen_providers:
                raise CatalogError(f"{ow}.provider: duplicate offer of {model_id!r} by {provider!r}")
            seen_providers.add(provider)
            offers.append(
                Offer(
                    model=model_id,
                    provider=provider,
                    input_nanos=_parse_price(offer_obj["inputPricePerMillion"], f"{ow}.inputPricePerMillion"),
                    output_nanos=_parse_price(offer_obj["outputPricePerMillion"], f"{ow}.outputPricePerMillion"),
                )
            )
    return Catalog(tuple(offers))


def catalog_to_json(catalog: Catalog) -> dict:
    """The file form of catalog (inverse of parse_catalog): models in file order, prices as plain decimals."""
    return {
        "models": [
            {
                "id": model,
                "offers": [
                    {
                        "provider": o.provider,
                        "inputPricePerMillion": money.format_nanos(o.input_nanos),
                        "outputPricePerMillion": money.format_nanos(o.output_nanos),
                    }
                    for o in catalog.offers_of(model)
                ],
            }
            for model in catalog.model_ids_in_order()
        ]
    }


def load_default_catalog() -> Catalog:
    """The catalog shipped in app/data/catalog.json (the only I/O in this module)."""
    with _DEFAULT_CATALOG_PATH.open(encoding="utf-8") as fh:
        return parse_catalog(json.load(fh))
