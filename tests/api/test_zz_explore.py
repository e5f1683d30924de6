import asyncio, json
async def test_conc_usage(acme, gateway, clock):
    p = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="k",
        recurringLimit={"amount": "1000", "window": {"value": 1, "unit": "DAY"}})
    kid = p["apiKey"]["id"]
    async def one(i):
        return await gateway.usage({"keyId": kid, "requestId": f"r{i}", "cost": "0.001"})
    res = await asyncio.gather(*[one(i) for i in range(400)])
    d = await acme.gql.run("ApiKey", id=kid)
    print(d["apiKey"]["usage"], d["apiKey"]["currentPeriod"])

async def test_conc_holds(acme, gateway, clock):
    p = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="k", allTimeLimit="1")
    s = p["secret"]
    res = await asyncio.gather(*[gateway.authorize(key=s, model="openai/gpt-4o", estimatedCost="0.3", requestId=f"q{i}") for i in range(12)])
    print([r["allowed"] for r in res], [r["code"] for r in res])
    p = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="k2", recurringLimit={"amount": "1", "window": {"value": 1, "unit": "DAY"}})
    s = p["secret"]
    res = await asyncio.gather(*[gateway.authorize(key=s, model="openai/gpt-4o", estimatedCost="0.3", requestId=f"q{i}") for i in range(12)])
    print([r["allowed"] for r in res], [r["code"] for r in res])
