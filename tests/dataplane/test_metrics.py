"""/metrics in Prometheus text format: decisions by code, usage events, latency, cache, feed."""


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_what_the_data_plane_did(app, http, acme, gateway):
    # the feed would also echo this instance's own changes back, at a moment that varies
    await app.state.change_feed.stop()
    created = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="m", allTimeLimit="0.5")
    secret, key_id = created["secret"], created["apiKey"]["id"]
    await gateway.authorize(key=secret, model="openai/gpt-4o")
    await gateway.authorize(key=secret, model="openai/gpt-4o")
    await gateway.authorize(key="kp_unknown", model="openai/gpt-4o")
    await gateway.usage({"events": [{"keyId": key_id, "requestId": "a", "cost": "0.5"},
                                    {"keyId": key_id, "requestId": "a", "cost": "0.5"}]})
    await gateway.authorize(key=secret, model="openai/gpt-4o")
    response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert sample(text, 'keyplane_authorize_decisions_total{code="VALID"}') == 2
    assert sample(text, 'keyplane_authorize_decisions_total{code="NOT_FOUND"}') == 1
    assert sample(text, 'keyplane_authorize_decisions_total{code="USAGE_EXCEEDED"}') == 1
    assert sample(text, 'keyplane_usage_events_total{result="recorded"}') == 1
    assert sample(text, 'keyplane_usage_events_total{result="duplicate"}') == 1
    assert sample(text, 'keyplane_request_seconds_count{route="authorize"}') == 4
    assert sample(text, 'keyplane_key_cache_lookups_total{result="hit"}') >= 1
    assert "keyplane_change_feed_lag_seconds" in text and "keyplane_change_feed_healthy" in text
    assert secret not in text and key_id not in text


async def test_with_a_metrics_token_only_a_scraper_that_sends_it_reads_metrics(database, clock):
    import httpx

    from app.server import create_app
    from app.settings import Settings

    token = "scrape-3f9c2a"
    app = create_app(Settings(database_url=database, metrics_token=token), clock, manage_database=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"},
                            {"Authorization": f"Bearer {token}x"}, {"Authorization": "Bearer"}):
                response = await http.get("/metrics", headers=headers)
                assert response.status_code == 401, headers
                assert "keyplane_" not in response.text and response.json()["error"]["code"] == "UNAUTHENTICATED"
            response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200 and "keyplane_authorize_decisions" in response.text


def test_the_metrics_token_comes_from_the_environment():
    from app.settings import Settings

    assert Settings.from_env({}).metrics_token is None
    assert Settings.from_env({"KEYPLANE_METRICS_TOKEN": "t0k"}).metrics_token == "t0k"
