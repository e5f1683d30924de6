"""The model catalog as GraphQL types: models and each provider's offer of them."""
from __future__ import annotations

import strawberry

from app.domain.catalog import Offer
from app.domain.money import format_nanos
from schema.enums import Pricing
from schema.scalars import Money


@strawberry.type(description="One provider's offer of a model, with its prices.")
class ModelOffer:
    provider: str = strawberry.field(description="The provider id (openai).")
    input_price_per_million: Money = strawberry.field(description="US dollars per million input tokens.")
    output_price_per_million: Money = strawberry.field(description="US dollars per million output tokens.")
    pricing: Pricing = strawberry.field(description="FREE when both prices are 0, else PAID.")

    @classmethod
    def of(cls, offer: Offer) -> "ModelOffer":
        return cls(
            provider=offer.provider,
            input_price_per_million=Money(format_nanos(offer.input_nanos)),
            output_price_per_million=Money(format_nanos(offer.output_nanos)),
            pricing=Pricing.from_domain(offer.pricing),
        )


@strawberry.type(name="Model", description="A model of the catalog the gateway serves.")
class CatalogModel:
    id: str = strawberry.field(description="The model id (openai/gpt-4o).")
    offers: list[ModelOffer] = strawberry.field(description="Every provider's offer of it.")
