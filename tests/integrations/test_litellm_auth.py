"""keyplane-litellm's auth pieces that need no proxy: the statuses of refusals, the provider a route names."""
from __future__ import annotations

from keyplane_litellm.auth import provider_of
from keyplane_litellm.refusals import refusal


def test_refusals_are_the_statuses_an_openai_client_expects():
    assert {refusal(code)[0] for code in ("NOT_FOUND", "DISABLED", "EXPIRED")} == {401}
    assert refusal("FORBIDDEN") == (403, "permission_error")
    assert {refusal(code)[0] for code in ("USAGE_EXCEEDED", "PERIOD_USAGE_EXCEEDED")} == {429}
    assert refusal("DUPLICATE_REQUEST_ID")[0] == 409
    assert refusal("A_CODE_FROM_A_NEWER_KEYPLANE")[0] == 403  # still refused: fail closed


def test_a_provider_route_names_the_provider_and_the_openai_routes_name_none():
    assert provider_of("/azure/openai/deployments/gpt-4o/chat/completions") == "azure"
    assert provider_of("/anthropic/v1/messages") == "anthropic"
    assert provider_of("/v1/chat/completions") is None
    assert provider_of("/chat/completions") is None
    assert provider_of("/openai/deployments/openai/gpt-4o/chat/completions") is None  # Azure-style, any model
    assert provider_of("/openai/v1/chat/completions") == "openai"
