"""Project.webhooks goes through a DataLoader: a page of projects with their webhooks costs the same
number of SQL queries whatever the number of webhooks."""
from __future__ import annotations

import pytest

from tests.api.test_query_counts import QueryCounter
from tests.webhooks.conftest import ALL_EVENTS

QUERY = "{ organization { projects { id webhooks { id url events } } } }"


@pytest.mark.parametrize("hooks", [1, 10])
async def test_projects_with_their_webhooks_cost_a_constant_number_of_queries(app, acme, monkeypatch, hooks):
    for name in ("a", "b"):
        project = (await acme.gql.mutate("CreateProject", name=name))["project"]
        for i in range(hooks):
            created = await acme.gql.mutate("CreateWebhook", projectId=project["id"], url=f"http://127.0.0.1/{i}",
                                            events=ALL_EVENTS)
            assert created["errors"] == []
    await app.state.change_feed.stop()  # its polls would be counted too
    counter = QueryCounter(monkeypatch)
    data = await acme.gql.execute(QUERY)
    monkeypatch.undo()
    assert sum(len(p["webhooks"]) for p in data["organization"]["projects"]) == 2 * hooks
    assert counter.count == 3  # the organization, its projects, their webhooks
