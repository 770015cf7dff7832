"""The query API: ask once, fetch again, bad input."""

from __future__ import annotations

import httpx
import pytest

from confidant.runtime import Runtime
from tests.helpers import assert_error, register


async def test_ask_and_fetch_again(client: httpx.AsyncClient, runtime: Runtime) -> None:
    account = await register(client)
    asked = await client.post(
        "/api/v1/query", json={"query": "How can I sleep better?"}, headers=account.headers
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert set(body) == {"query_id", "response", "sources"}
    again = await client.get(f"/api/v1/query/{body['query_id']}", headers=account.headers)
    record = again.json()
    assert record["query"] == "How can I sleep better?"
    assert record["response"] == body["response"]
    assert record["model"] == runtime.models.default_name
    named = await client.post(
        "/api/v1/query",
        json={"query": "hi", "model": runtime.models.default_name},
        headers=account.headers,
    )
    assert named.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": ""}, "body.query"),
        ({"query": "   "}, "body.query"),
        ({"query": "x" * 4001}, "body.query"),
        ({}, "body.query"),
        ({"query": "hi", "temperature": 2}, "body.temperature"),
    ],
)
async def test_bad_queries_are_422(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    account = await register(client)
    error = assert_error(
        await client.post("/api/v1/query", json=body, headers=account.headers), 422
    )
    assert error["details"][0]["field"] == field


async def test_unknown_model_lists_the_available_ones(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    response = await client.post(
        "/api/v1/query", json={"query": "hi", "model": "gpt-9"}, headers=account.headers
    )
    error = assert_error(response, 422)
    assert error["details"]["available"] == runtime.models.available()
    assert_error(await client.get("/api/v1/query/unknown", headers=account.headers), 404)
