"""The whole flow with logging at DEBUG: no key, token or hash reaches any log."""
import logging

from app.domain.secrets import hash_secret
from app.logs import configure_logging
from app.services import tokens


async def test_no_secret_or_hash_is_logged_at_debug(http, acme, gateway, clock, caplog):
    configure_logging("DEBUG")
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        created = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="prod", allTimeLimit="1")
        secret, key_id = created["secret"], created["apiKey"]["id"]
        await gateway.authorize(key=secret, model="openai/gpt-4o")
        await gateway.authorize(key=secret, model="openai/gpt-4o", estimatedCost="0.1", requestId="r1")
        await gateway.usage({"keyId": key_id, "requestId": "r1", "cost": "0.05"})
        await gateway.authorize(key=secret + "x", model="openai/gpt-4o")
        rolled = await acme.gql.mutate("RollApiKey", id=key_id, gracePeriod={"value": 1, "unit": "HOUR"})
        for either in (secret, rolled["secret"]):
            await gateway.authorize(key=either, model="openai/gpt-4o")
        await http.post("/graphql", json={"query": "{ organization { id } }"}, headers={"Authorization": "Bearer kpm_wrong"})
        await acme.gql.mutate("DeleteApiKey", id=key_id)
        await tokens.revoke(clock, acme.token)
        await acme.gql.raw("{ organization { id } }")
    finally:
        logging.getLogger().removeHandler(caplog.handler)
        configure_logging("INFO")
    text = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "expected some logging at DEBUG"
    for secret_value in (secret, rolled["secret"], acme.token, gateway.token, secret + "x", "kpm_wrong"):
        assert secret_value not in text
        assert secret_value[4:] not in text
        assert hash_secret(secret_value) not in text
