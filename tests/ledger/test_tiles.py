"""The log as C2SP tlog-tiles: paths in the spec's one spelling, tiles that match an
independent computation from the leaves, the signed tree as the limit, caching, and
entry bundles for administrators only."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from confidant.auth.models import ROLE_ADMIN, User
from confidant.ledger.sequencer import CheckpointPolicy
from confidant.ledger.tiles import (
    TILE_WIDTH,
    Tile,
    TilePathError,
    hash_tile_at,
    parse_index,
    parse_level,
)
from confidant.runtime import Runtime
from tests.helpers import Account, assert_error, register
from tests.ledger import reference
from tests.ledger.test_ledger_api import checkpoint_root, settle, trail

IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"

# --- paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 5), "tile/0/005"),
        (Tile(0, 999), "tile/0/999"),
        (Tile(0, 1000), "tile/0/x001/000"),
        (Tile(1, 1234067), "tile/1/x001/x234/067"),
        (Tile(2, 0, 1), "tile/2/000.p/1"),
        (Tile(0, 1234067, 255), "tile/0/x001/x234/067.p/255"),
    ],
)
def test_tile_paths_are_spelled_as_the_spec_says(tile: Tile, path: str) -> None:
    assert tile.path() == path
    level, index = path.removeprefix("tile/").split("/", 1)
    assert hash_tile_at(level, index) == tile


@pytest.mark.parametrize("index", [0, 1, 255, 256, 999_999, 10**6, 2**55, 2**64 // 256 - 1])
def test_every_index_reads_back_as_written(index: int) -> None:
    for width in (1, 17, 255, TILE_WIDTH):
        assert parse_index(Tile(0, index, width).index_path()) == (index, width)


@pytest.mark.parametrize(
    "index",
    [
        "",
        "5",
        "05",
        "0005",
        "abc",
        "001/002",  # the upper group without its x
        "x1/005",
        "x000/005",  # a leading zero group
        "x000/x001/005",
        "x001",
        "005/",
        "/005",
        "005.p",
        "005.p/",
        "005.p/0",
        "005.p/07",
        "005.p/256",
        "005.p/-1",
        "005.p/3/4",
        "x001.p/3/005",
        "x001/x002/x003/x004/x005/x006/x007/008",  # past 2**64 leaves
    ],
)
def test_a_non_canonical_index_is_refused(index: str) -> None:
    with pytest.raises(TilePathError):
        parse_index(index)


@pytest.mark.parametrize("level", ["", "-1", "00", "07", "64", "100", "a", "1.0"])
def test_a_bad_level_is_refused(level: str) -> None:
    with pytest.raises(TilePathError):
        parse_level(level)


def test_a_tile_needs_the_leaves_under_its_last_hash() -> None:
    assert Tile(0, 0, 5).leaves_needed() == 5
    assert Tile(0, 1).leaves_needed() == 512
    assert Tile(1, 0, 1).leaves_needed() == 256
    assert Tile(1, 2, 3).leaves_needed() == (2 * 256 + 3) * 256
    assert Tile(63, 0, 1).leaves_needed() == 2 ** (8 * 63)


# --- served -------------------------------------------------------------------------


async def admin(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    account = await register(client)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == account.user_id).values(role=ROLE_ADMIN)
        )
    return account


async def signed(client: httpx.AsyncClient) -> tuple[int, bytes]:
    """The latest checkpoint's size and root, its signature checked independently."""
    response = await client.get("/api/ledger/checkpoint")
    assert response.status_code == 200, response.text
    return checkpoint_root(response.json())


async def grow(client: httpx.AsyncClient, runtime: Runtime, at_least: int) -> tuple[int, bytes]:
    """Make API calls (a leaf each) until a checkpoint signs at least `at_least` leaves,
    and not on a tile's edge. The log grows on (every read of the checkpoint is a call),
    but tiles of this checkpoint's tree are served for good."""
    await settle(runtime)
    size, root = await signed(client)
    while size < at_least or size % TILE_WIDTH in (0, TILE_WIDTH - 1):
        for _ in range(min(max(at_least - size, 1), 100)):
            await client.get("/api/assessments")
        await settle(runtime)
        size, root = await signed(client)
    return size, root


@contextlib.asynccontextmanager
async def no_checkpoints(runtime: Runtime) -> AsyncIterator[None]:
    """The sequencer goes on sequencing but signs nothing until the block ends."""
    sequencer = runtime.sequencer
    policy = sequencer.policy
    sequencer.policy = CheckpointPolicy(every_leaves=10**9, every_seconds=10**9)
    try:
        yield
    finally:
        sequencer.policy = policy
        await settle(runtime)


def next_after(edge: Tile) -> Tile:
    """The smallest tile that needs one leaf more than the tree at `edge` has."""
    return Tile(0, edge.index, edge.width + 1)


def entries_of(bundle: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(bundle):
        length = int.from_bytes(bundle[offset : offset + 2], "big")
        entries.append(bundle[offset + 2 : offset + 2 + length])
        offset += 2 + length
    assert offset == len(bundle)
    return entries


def hashes_of(tile: bytes) -> list[bytes]:
    assert len(tile) % 32 == 0
    return [tile[start : start + 32] for start in range(0, len(tile), 32)]


async def every_entry(client: httpx.AsyncClient, account: Account, size: int) -> list[bytes]:
    entries: list[bytes] = []
    for index in range(size // TILE_WIDTH + 1):
        tile = Tile(0, index, min(TILE_WIDTH, size - index * TILE_WIDTH))
        if tile.width == 0:
            break
        response = await client.get(
            f"/ledger/tile/entries/{tile.index_path()}", headers=account.headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["cache-control"] == "private, no-store"
        bundle = entries_of(response.content)
        assert len(bundle) == tile.width
        entries += bundle
    return entries


async def test_the_checkpoint_is_the_signed_note_byte_for_byte(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await register(client)
    await settle(runtime)
    served = (await client.get("/api/ledger/checkpoint")).json()
    checkpoint_root(served)  # the JSON carries the note, and the note verifies
    response = await client.get("/ledger/checkpoint")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == served["checkpoint"].encode()
    origin, size, root = response.text.split("\n")[:3]
    assert (origin, int(size), base64.b64decode(root).hex()) == (
        served["origin"],
        served["treeSize"],
        served["rootHash"],
    )
    assert served["publicKey"].startswith(origin + "+")


async def test_tiles_match_the_tree_built_from_the_entries(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Level 0 from the entries' leaf hashes, level 1 from the subtrees of 256 leaves
    (stored nodes at tree level 8), and the checkpoint's root from the entries alone."""
    operator = await admin(client, runtime)
    size, root = await grow(client, runtime, 2 * TILE_WIDTH + 1)
    entries = await every_entry(client, operator, size)
    assert reference.mth(entries) == root

    level0 = [reference.leaf(entry) for entry in entries]
    for index in range(size // TILE_WIDTH):
        response = await client.get(f"/ledger/tile/0/{Tile(0, index).index_path()}")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["content-type"] == "application/octet-stream"
        assert hashes_of(response.content) == level0[index * 256 : (index + 1) * 256]
    edge = Tile(0, size // TILE_WIDTH, size % TILE_WIDTH)
    response = await client.get(f"/ledger/{edge.path()}")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == PARTIAL
    assert hashes_of(response.content) == level0[edge.first : size]

    level1 = [
        reference.mth(entries[start : start + 256]) for start in range(0, size - size % 256, 256)
    ]
    upper = await client.get(f"/ledger/tile/1/000.p/{len(level1)}")
    assert upper.status_code == 200, upper.text
    assert upper.headers["cache-control"] == PARTIAL
    assert hashes_of(upper.content) == level1

    # A partial tile of a width inside a full one is served too (an older tree's edge).
    narrow = await client.get("/ledger/tile/0/000.p/3")
    assert hashes_of(narrow.content) == level0[:3]


async def test_only_what_the_signed_checkpoint_covers_is_served(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    operator = await admin(client, runtime)
    await grow(client, runtime, 2)
    async with no_checkpoints(runtime):
        await settle(runtime)
        size, _ = await signed(client)
        for _ in range(3):  # sequenced, and their nodes stored, but not signed
            await client.get("/api/assessments")
        await settle(runtime)
        assert (await signed(client))[0] == size
        edge = Tile(0, size // TILE_WIDTH, size % TILE_WIDTH)
        unsigned = f"/ledger/tile/0/{next_after(edge).index_path()}"
        beyond = [
            unsigned,
            f"/ledger/tile/0/{Tile(0, edge.index).index_path()}",  # not full yet
            f"/ledger/tile/0/{Tile(0, edge.index + 1, 1).index_path()}",
            f"/ledger/tile/1/{Tile(1, 0, size // TILE_WIDTH + 1).index_path()}",
            "/ledger/tile/1/000",
            "/ledger/tile/63/000.p/1",
            "/ledger/tile/0/x999/x999/x999/x999/x999/x999/999",
            f"/ledger/tile/entries/{Tile(0, edge.index).index_path()}",
            f"/ledger/tile/entries/{next_after(edge).index_path()}",
        ]
        for path in beyond:
            error = assert_error(await client.get(path, headers=operator.headers), 404, "not_found")
            assert error["details"]["treeSize"] == size
    response = await client.get(unsigned)  # signed now
    assert response.status_code == 200, response.text
    assert len(response.content) == 32 * next_after(edge).width


@pytest.mark.parametrize(
    "path",
    [
        "/ledger/tile/0/5",
        "/ledger/tile/0/0005",
        "/ledger/tile/0/x000/001",
        "/ledger/tile/0/001/002",
        "/ledger/tile/0/000.p/0",
        "/ledger/tile/0/000.p/256",
        "/ledger/tile/0/000.p/01",
        "/ledger/tile/0/000.p/",
        "/ledger/tile/00/000",
        "/ledger/tile/64/000",
        "/ledger/tile/1000000000000000000000/000",
        "/ledger/tile/-1/000",
        "/ledger/tile/0/x001/x002/x003/x004/x005/x006/x007/008",
        "/ledger/tile/0/",
    ],
)
async def test_bad_tile_paths_are_422_in_the_error_shape(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_error(await client.get(path), 422, "validation_error")


async def test_paths_no_route_takes_are_404_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/ledger", "/ledger/tile", "/ledger/nothing", "/ledger/tiles/0/000"):
        assert_error(await client.get(path), 404, "not_found")
    # Without the slash before an (empty) index, the router's usual redirect to it.
    redirected = await client.get("/ledger/tile/0", follow_redirects=True)
    assert_error(redirected, 422, "validation_error")


async def test_entry_bundles_are_for_administrators_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await register(client)
    operator = await admin(client, runtime)
    await settle(runtime)
    size, _ = await signed(client)
    own = (await trail(client, user, limit=100))["items"]
    by_index = {item["leafIndex"]: item for item in own}  # type: ignore[union-attr]
    first = min(by_index)
    assert first < size
    tile = Tile(0, first // TILE_WIDTH, min(TILE_WIDTH, size - first // TILE_WIDTH * TILE_WIDTH))
    path = f"/ledger/tile/entries/{tile.index_path()}"

    assert_error(await client.get(path), 401, "unauthorized")
    assert_error(
        await client.get(path, headers={"Authorization": "Bearer nonsense"}), 401, "unauthorized"
    )
    refused = assert_error(await client.get(path, headers=user.headers), 403, "forbidden")
    assert refused["details"] == {"ownLeaves": "/api/users/me/audit"}
    assert_error(await client.get("/ledger/tile/entries/000.p/0", headers=user.headers), 422)

    answered = await client.get(path, headers=operator.headers)
    assert answered.status_code == 200, answered.text
    entries = entries_of(answered.content)
    assert len(entries) == tile.width
    hashes = await client.get(f"/ledger/{tile.path()}")
    assert hashes_of(hashes.content) == [reference.leaf(entry) for entry in entries]
    # What the user may see of theirs is their trail, leaf bytes included: the same bytes.
    for offset, entry in enumerate(entries):
        item = by_index.get(tile.first + offset)
        if item is not None:
            assert base64.b64decode(item["leaf"]) == entry
    assert by_index[first]["leaf"] == base64.b64encode(entries[first - tile.first]).decode()

    # The administrator's reading is itself on the record.
    await settle(runtime)
    items = (await trail(client, operator, limit=100))["items"]
    actions = [item["action"] for item in items]  # type: ignore[union-attr]
    assert "GET /ledger/tile/entries/{index:path} 200" in actions
