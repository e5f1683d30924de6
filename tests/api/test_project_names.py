"""Two projects of one organization may not share a name: compared after trimming and
ignoring case (what a person reading the project picker would call "the same name")."""
from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import models
from app.domain.names import name_key
from app.services import projects
from app.services.callers import Tenant
from app.services.errors import Refused

NAMES = st.text(st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=40).filter(lambda s: s.strip())


def _variants(name: str):
    """Ways a person retypes the same name: other case, padding."""
    return st.sampled_from([name.upper(), name.lower(), name.swapcase(), f"  {name} ", f"\t{name.title()}"])


async def _project_names(org_id: int) -> list[str]:
    return await models.Project.filter(org_id=org_id).order_by("id").values_list("name", flat=True)


async def test_a_second_project_with_the_same_name_is_refused_and_nothing_is_created(acme, rival):
    first = await acme.gql.mutate("CreateProject", name="Mobile app")
    assert first["errors"] == []
    for again in ("Mobile app", "  mobile APP ", "MOBILE APP"):
        refused = await acme.gql.mutate("CreateProject", name=again)
        assert refused["project"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "name")]
        assert "already used" in refused["errors"][0]["message"]
    assert await _project_names(acme.org_id) == ["Default", "Mobile app"]
    # another organization's names are its own
    assert (await rival.gql.mutate("CreateProject", name="Mobile app"))["errors"] == []
    assert (await acme.gql.mutate("CreateProject", name="Mobile app 2"))["errors"] == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=NAMES)
async def test_any_name_retyped_in_another_case_or_padding_is_the_same_name(acme, clock, data, name):
    tenant = Tenant(acme.org_id, None)
    try:
        created = await projects.create_project(tenant, clock, name)
    except Refused:   # hypothesis met this name (or a retyping of it) in an earlier example
        created = None
    before = await _project_names(acme.org_id)
    retyped = data.draw(_variants(name))
    if name_key(retyped) != name_key(name):  # case mappings that do not round-trip ("ß".upper() == "SS")
        return
    try:
        await projects.create_project(tenant, clock, retyped)
        raise AssertionError(f"{retyped!r} was accepted beside {name!r}")
    except Refused as refused:
        assert [(e.code.value, e.field) for e in refused.errors] == [("VALIDATION", "name")]
    assert await _project_names(acme.org_id) == before
    assert created is None or created.name == name.strip()


async def test_concurrent_creates_of_one_name_make_exactly_one_project(acme):
    results = await asyncio.gather(*(acme.gql.mutate("CreateProject", name=f"Race{' ' * (i % 3)}") for i in range(8)))
    created = [r for r in results if not r["errors"]]
    assert len(created) == 1
    assert all([(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "name")] for r in results if r["errors"])
    assert await _project_names(acme.org_id) == ["Default", "Race"]
