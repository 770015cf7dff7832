"""The ledger through the API: every call and write lands in the log, proofs verify."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from confidant.ledger.models import LedgerLeaf, LedgerOutbox
from confidant.ledger.verify import verify_log
from confidant.runtime import Runtime
from tests.helpers import Account, assert_error, jobs_settled, register
from tests.ledger import reference


def checkpoint_root(checkpoint: dict[str, object]) -> tuple[int, bytes]:
    """Size and root from the signed note, after checking its signature independently."""
    note = str(checkpoint["checkpoint"])
    body, signature_line = note.split("\n\n")
    name, key_id, encoded_key = str(checkpoint["publicKey"]).split("+", 2)
    raw_key = base64.b64decode(encoded_key)
    assert raw_key[0] == 1
    assert len(raw_key) == 33
    assert hashlib.sha256(name.encode() + b"\n" + raw_key).digest()[:4].hex() == key_id
    dash, signer, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, signer) == ("\u2014", name)
    signature = base64.b64decode(blob)
    assert signature[:4].hex() == key_id
    Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(signature[4:], (body + "\n").encode())
    origin, size, root = body.split("\n")
    assert origin == checkpoint["origin"]
    assert int(size) == checkpoint["treeSize"]
    assert base64.b64decode(root).hex() == checkpoint["rootHash"]
    return int(size), base64.b64decode(root)


async def settle(runtime: Runtime) -> None:
    """Every job finished (an index job writes the user's chunks) and every leaf sequenced."""
    await jobs_settled(runtime.db)
    await runtime.sequencer.drain()


async def trail(http: httpx.AsyncClient, account: Account, **params: object) -> dict[str, object]:
    response = await http.get("/api/users/me/audit", headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_api_calls_and_writes_land_in_the_users_trail(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    created = await client.post(
        "/api/diary",
        headers=account.headers,
        json={"date": "2026-11-01", "text": "A calm day by the sea."},
    )
    assert created.status_code == 201
    assert (await client.get("/api/users/me", headers=account.headers)).status_code == 200
    await settle(runtime)

    page = await trail(client, account, limit=100, proof="true")
    actions = [item["action"] for item in page["items"]]  # type: ignore[attr-defined]
    for expected in (
        "POST /api/auth/register 201",
        "insert users",
        "insert diary_entries",
        "POST /api/diary 201",
        "GET /api/users/me 200",
    ):
        assert expected in actions, actions
    indexes = [item["leafIndex"] for item in page["items"]]  # type: ignore[attr-defined]
    assert indexes == sorted(indexes, reverse=True)

    size, root = checkpoint_root(page["checkpoint"])  # type: ignore[arg-type]
    for item in page["items"]:  # type: ignore[attr-defined]
        proof = [bytes.fromhex(node) for node in item["proof"]]
        leaf = bytes.fromhex(item["txId"])
        assert reference.verify_inclusion(leaf, item["leafIndex"], size, proof, root)


async def test_each_audit_item_carries_the_leaf_bytes_it_hashes_to(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A client hashes the leaf itself (RFC 6962: SHA-256(0x00 || leaf)) and gets the
    transaction id, so it need not take the server's word for which leaf is whose."""
    account = await register(client)
    await settle(runtime)
    page = await trail(client, account, limit=100)
    items = page["items"]
    assert items
    for item in items:  # type: ignore[attr-defined]
        data = base64.b64decode(item["leaf"], validate=True)
        assert reference.leaf(data).hex() == item["txId"]
        fields = json.loads(data)
        assert fields["subject"] is not None
        assert fields["kind"] in ("api", "row")


async def test_inclusion_proof_by_leaf_hash_verifies_against_the_checkpoint(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    await settle(runtime)
    item = (await trail(client, account, limit=1))["items"][0]  # type: ignore[index]
    checkpoint = (await client.get("/api/ledger/checkpoint")).json()
    size, root = checkpoint_root(checkpoint)

    response = await client.get(
        "/api/ledger/proof/inclusion", params={"leaf_hash": "0x" + item["txId"]}
    )
    assert response.status_code == 200, response.text
    proof = response.json()
    assert (proof["leafIndex"], proof["treeSize"]) == (item["leafIndex"], size)
    hashes = [bytes.fromhex(node) for node in proof["hashes"]]
    assert reference.verify_inclusion(
        bytes.fromhex(item["txId"]), item["leafIndex"], size, hashes, root
    )


async def test_consistency_between_two_checkpoints_verifies(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await register(client)
    await settle(runtime)
    first_size, first_root = checkpoint_root((await client.get("/api/ledger/checkpoint")).json())
    await register(client)
    await settle(runtime)
    second_size, second_root = checkpoint_root((await client.get("/api/ledger/checkpoint")).json())
    assert second_size > first_size

    response = await client.get(
        "/api/ledger/proof/consistency", params={"first": first_size, "second": second_size}
    )
    assert response.status_code == 200, response.text
    hashes = [bytes.fromhex(node) for node in response.json()["hashes"]]
    assert reference.verify_consistency(first_size, second_size, first_root, second_root, hashes)
    assert not reference.verify_consistency(
        first_size, second_size, second_root, first_root, hashes
    )


async def test_proof_requests_out_of_range_are_4xx(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    await settle(runtime)
    item = (await trail(client, account, limit=1))["items"][0]  # type: ignore[index]
    size = (await client.get("/api/ledger/checkpoint")).json()["treeSize"]
    inclusion = "/api/ledger/proof/inclusion"
    consistency = "/api/ledger/proof/consistency"
    for params in (
        {"leaf_hash": item["txId"], "tree_size": item["leafIndex"]},
        {"leaf_hash": item["txId"], "tree_size": size + 10**6},
    ):
        assert_error(await client.get(inclusion, params=params), 400, "out_of_range")
    assert_error(await client.get(inclusion, params={"leaf_hash": "ab" * 32}), 404, "not_found")
    for bad in ("xyz", "ab" * 31, "0x" + "g" * 64):
        assert_error(await client.get(inclusion, params={"leaf_hash": bad}), 422)
    assert_error(await client.get(inclusion), 422)
    assert_error(
        await client.get(inclusion, params={"leaf_hash": item["txId"], "tree_size": -1}), 422
    )
    for first, second in ((0, size), (2, 1), (1, size + 10**6)):
        response = await client.get(consistency, params={"first": first, "second": second})
        assert_error(response, 400, "out_of_range")
    assert_error(await client.get(consistency, params={"first": "a", "second": 2}), 422)


async def test_audit_pages_are_newest_first_and_own_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob = await register(client), await register(client)
    for day in range(1, 4):
        await client.post(
            "/api/diary", headers=alice.headers, json={"date": f"2026-10-0{day}", "text": "x"}
        )
    await settle(runtime)
    everything = await trail(client, alice, limit=100)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await trail(client, alice, **params)
        seen += [item["leafIndex"] for item in page["items"]]  # type: ignore[attr-defined]
        cursor = page["nextCursor"]
        if not cursor:
            break
    # Reading the trail is an API call of hers: its leaves may land while she pages.
    whole = [item["leafIndex"] for item in everything["items"]]  # type: ignore[attr-defined]
    assert [index for index in seen if index <= whole[0]] == whole
    assert all(index > whole[0] for index in seen[: len(seen) - len(whole)])
    bobs = {item["leafIndex"] for item in (await trail(client, bob, limit=100))["items"]}  # type: ignore[attr-defined]
    assert bobs
    assert not bobs & set(seen)
    assert_error(await client.get("/api/users/me/audit"), 401)
    bad = await client.get("/api/users/me/audit", headers=alice.headers, params={"cursor": "nope"})
    assert_error(bad, 422)
    assert_error(
        await client.get("/api/users/me/audit", headers=alice.headers, params={"limit": 0}), 422
    )


async def test_no_personal_data_in_any_leaf(client: httpx.AsyncClient, runtime: Runtime) -> None:
    secret_words = "Zanzibar-marmalade-quokka"
    account = await register(client, name="Ottoline Quarrington", phone="+44 7700 900123")
    await client.post(
        "/api/diary",
        headers=account.headers,
        json={
            "date": "2026-11-02",
            "text": f"I told nobody about {secret_words}.",
            "tags": ["Quokka-tag"],
        },
    )
    await client.patch(
        "/api/users/me", headers=account.headers, json={"name": "Ottoline Q. Renamed"}
    )
    await client.post(
        "/api/auth/login", json={"email": account.email, "password": "wrong password here"}
    )
    await settle(runtime)
    async with runtime.db.engine.connect() as connection:
        leaves = [bytes(d) for d in await connection.scalars(select(LedgerLeaf.data))]
        leaves += [bytes(d) for d in await connection.scalars(select(LedgerOutbox.data))]
    blob = b"\n".join(leaves).lower()
    for personal in (
        account.email,
        account.user_id,
        "Ottoline",
        "Quarrington",
        "447700900123",
        secret_words,
        "quokka-tag",
        "wrong password",
        account.access,
        account.refresh,
    ):
        assert personal.lower().encode() not in blob, personal
    assert b"insert diary_entries" not in blob  # leaves are JSON fields, not prose
    assert blob.count(b'"table":"diary_entries"') >= 1


async def test_the_whole_log_verifies_with_every_row_matching(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    await client.post(
        "/api/diary", headers=account.headers, json={"date": "2026-11-03", "text": "x"}
    )
    refreshed = await client.post("/api/auth/refresh", json={"refreshToken": account.refresh})
    assert refreshed.status_code == 200
    assert (await client.delete("/api/users/me", headers=account.headers)).status_code == 204
    await settle(runtime)  # a job's deletes are logged when its transaction commits
    report = await verify_log(
        runtime.db, runtime.ledger.signer.verifier_key, pseudonyms=runtime.ledger.pseudonyms
    )
    assert report.ok, report.problems[:10]
    assert report.tree_size > 0
    assert report.checkpoints > 0
    assert report.rows_checked > 0
