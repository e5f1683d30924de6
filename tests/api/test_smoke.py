async def test_create_key_and_read_it_back(acme):
    payload = await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="prod")
    assert payload["errors"] == []
    assert payload["secret"].startswith("kp_")
    data = await acme.gql.run("ApiKey", id=payload["apiKey"]["id"])
    assert data["apiKey"]["name"] == "prod"
