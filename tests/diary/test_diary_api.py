"""Diary entries and import over HTTP, bad input included."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.helpers import Account, assert_error, register


async def add(client: httpx.AsyncClient, account: Account, **body: object) -> dict[str, object]:
    payload = {"date": "2025-03-04", "text": "A quiet day.", **body}
    response = await client.post("/api/diary", json=payload, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_read_update_delete(client: httpx.AsyncClient) -> None:
    account = await register(client)
    entry = await add(client, account, text="Walked by the river.", mood=7, tags=["walk"])
    assert (entry["date"], entry["mood"], entry["tags"]) == ("2025-03-04", 7, ["walk"])
    fetched = await client.get(f"/api/diary/{entry['id']}", headers=account.headers)
    assert fetched.json()["text"] == "Walked by the river."
    patched = await client.patch(
        f"/api/diary/{entry['id']}",
        json={"text": "Walked by the sea.", "mood": None},
        headers=account.headers,
    )
    assert patched.json()["text"] == "Walked by the sea."
    assert patched.json()["mood"] is None
    assert patched.json()["tags"] == ["walk"]
    assert (
        await client.delete(f"/api/diary/{entry['id']}", headers=account.headers)
    ).status_code == 204
    assert_error(await client.get(f"/api/diary/{entry['id']}", headers=account.headers), 404)


async def test_list_by_date_range_with_cursor(client: httpx.AsyncClient) -> None:
    account = await register(client)
    for day in ["2025-01-05", "2025-02-10", "2025-02-20", "2025-03-01", "2025-04-01"]:
        await add(client, account, date=day)
    first = (
        await client.get(
            "/api/diary?from=2025-02-01&to=2025-03-31&limit=2", headers=account.headers
        )
    ).json()
    assert [e["date"] for e in first["items"]] == ["2025-03-01", "2025-02-20"]
    rest = (
        await client.get(
            f"/api/diary?from=2025-02-01&to=2025-03-31&limit=2&cursor={first['nextCursor']}",
            headers=account.headers,
        )
    ).json()
    assert [e["date"] for e in rest["items"]] == ["2025-02-10"]
    assert rest["nextCursor"] is None
    assert_error(
        await client.get("/api/diary?from=2025-05-01&to=2025-01-01", headers=account.headers), 422
    )
    assert_error(await client.get("/api/diary?from=yesterday", headers=account.headers), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2025-02-30", "text": "x"},
        {"date": "2025-03-04", "text": ""},
        {"date": "2025-03-04", "text": "x" * 50_001},
        {"date": "2025-03-04", "text": "x", "mood": 11},
        {"date": "2025-03-04", "text": "x", "mood": 0},
        {"date": "2025-03-04", "text": "x", "tags": ["<script>"]},
        {"date": "2025-03-04", "text": "x", "tags": ["t"] * 21},
        {"text": "no date"},
        {"date": "2025-03-04", "text": "x", "owner": "someone"},
    ],
)
async def test_bad_entries_are_422(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    account = await register(client)
    assert_error(await client.post("/api/diary", json=body, headers=account.headers), 422)
    listed = await client.get("/api/diary", headers=account.headers)
    assert listed.json()["items"] == []


MARKDOWN = """# My old diary

## 2024-01-02
Started the year with a long run along the canal.

Felt strong.

## March 5, 2024
Argued with Priya about the flat.

5 April 2024:
Visited Lisbon with my sister.
"""


async def test_import_markdown_with_dated_headings(client: httpx.AsyncClient) -> None:
    account = await register(client)
    response = await client.post(
        "/api/diary/import",
        files={"file": ("old.md", MARKDOWN.encode(), "text/markdown")},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] == 4  # the undated preface becomes an entry dated today
    entries = (await client.get("/api/diary?limit=10", headers=account.headers)).json()["items"]
    by_date = {e["date"]: e["text"] for e in entries}
    assert by_date["2024-01-02"].startswith("Started the year")
    assert "Felt strong." in by_date["2024-01-02"]
    assert by_date["2024-03-05"] == "Argued with Priya about the flat."
    assert by_date["2024-04-05"] == "Visited Lisbon with my sister."


async def test_import_json_export(client: httpx.AsyncClient) -> None:
    account = await register(client)
    export = {"entries": [{"date": "2023-06-01", "text": "Exam day.", "mood": 4, "tags": ["exam"]}]}
    response = await client.post(
        "/api/diary/import",
        files={"file": ("export.json", json.dumps(export).encode(), "application/json")},
        headers=account.headers,
    )
    assert response.json() == {"created": 1, "firstDate": "2023-06-01", "lastDate": "2023-06-01"}
    bad = {"entries": [{"date": "2023-06-01", "text": "ok"}, {"date": "never", "text": "x"}]}
    refused = await client.post(
        "/api/diary/import",
        files={"file": ("export.json", json.dumps(bad).encode(), "application/json")},
        headers=account.headers,
    )
    assert_error(refused, 422)
    entries = (await client.get("/api/diary", headers=account.headers)).json()["items"]
    assert len(entries) == 1  # all or nothing


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("notes.txt", b"text with a \x00 null byte"),
        ("notes.txt", b"\xff\xfe\xfa not utf-8"),
        ("diary.docx", b"PK\x03\x04"),
    ],
)
async def test_import_refuses_binary_and_unsupported_files(
    client: httpx.AsyncClient, name: str, content: bytes
) -> None:
    account = await register(client)
    response = await client.post(
        "/api/diary/import", files={"file": (name, content)}, headers=account.headers
    )
    assert_error(response, 415, "unsupported_media_type")
    assert (await client.get("/api/diary", headers=account.headers)).json()["items"] == []


async def test_import_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    account = await register(client)
    huge = b"# 2024-01-01\n" + b"word " * (1024 * 1024 + 10)
    response = await client.post(
        "/api/diary/import", files={"file": ("big.txt", huge)}, headers=account.headers
    )
    assert_error(response, 413)
