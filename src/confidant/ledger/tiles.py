"""The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): hash tiles and entry bundles.

A tile of height 8 at level L, index N and width W holds the hashes of the tree's nodes
(8 * L, N * 256) .. (8 * L, N * 256 + W - 1), 32 bytes each; W is 256 for a full tile and
1..255 for a partial one, the right edge of a tree. Those nodes are stored already (leaf
hashes, and every completed internal node by level and position), so a tile is one
range read. An entry bundle is the leaves of one level-0 tile, each a big-endian uint16
length and the leaf's bytes. Only what the latest signed checkpoint covers is served:
a client can authenticate everything it gets against that checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from confidant.kit.errors import Forbidden, InvalidInput, NotFound
from confidant.ledger import store

if TYPE_CHECKING:
    from confidant.runtime import Runtime

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63  # the spec's bound on <L>
# 2**64 leaves have no tile index over 20 digits: 7 groups of 3.
MAX_INDEX_GROUPS = 7
MAX_ENTRY_BYTES = 0xFFFF  # an entry's length is a uint16

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_GROUP = re.compile(r"[0-9]{3}")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")


@dataclass(frozen=True)
class Tile:
    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def first(self) -> int:
        """The position, at tree level 8 * level, of the tile's first hash."""
        return self.index * TILE_WIDTH

    def leaves_needed(self) -> int:
        """The smallest tree that has every node of this tile."""
        return (self.first + self.width) << (TILE_HEIGHT * self.level)

    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]`, as the spec spells it."""
        return f"tile/{self.level}/{self.index_path()}"

    def index_path(self) -> str:
        digits = str(self.index)
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[start : start + 3] for start in range(0, len(digits), 3)]
        encoded = "/".join([f"x{group}" for group in groups[:-1]] + groups[-1:])
        return encoded + (f".p/{self.width}" if self.is_partial else "")


class TilePathError(InvalidInput):
    """A tile path that is not in the spec's one canonical spelling."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"Not a tlog-tiles path: {message}",
            details=[{"field": f"path.{field}", "message": message}],
        )


def parse_level(text: str) -> int:
    if not _LEVEL.fullmatch(text) or int(text) > MAX_LEVEL:
        raise TilePathError("level", f"the level is a decimal 0..{MAX_LEVEL}, no leading zeros")
    return int(text)


def parse_index(text: str) -> tuple[int, int]:
    """`<N>[.p/<W>]` to (N, W): N in groups of three digits, `x` before all but the last
    and no leading `x000`; W in 1..255 with no leading zeros (256 when absent)."""
    parts = text.split("/")
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = _parse_width(parts.pop())
        parts[-1] = parts[-1].removesuffix(".p")
    if len(parts) > MAX_INDEX_GROUPS:
        raise TilePathError("index", "the index is beyond any tree of 2**64 leaves")
    *upper, last = parts
    if not all(part[:1] == "x" and _GROUP.fullmatch(part[1:]) for part in upper):
        raise TilePathError("index", "all but the last group of the index start with 'x'")
    if not _GROUP.fullmatch(last):
        raise TilePathError("index", "the index is in groups of three digits")
    if upper and upper[0] == "x000":
        raise TilePathError("index", "the index has no leading zero group")
    return int("".join(part.lstrip("x") for part in parts)), width


def _parse_width(text: str) -> int:
    if not _WIDTH.fullmatch(text) or int(text) >= TILE_WIDTH:
        raise TilePathError("index", f"a partial tile's width is 1..{TILE_WIDTH - 1}")
    return int(text)


def hash_tile_at(level: str, index: str) -> Tile:
    return Tile(parse_level(level), *parse_index(index))


def entries_tile_at(index: str) -> Tile:
    return Tile(0, *parse_index(index))


async def hash_tile(rt: Runtime, tile: Tile) -> bytes:
    """The tile's hashes, concatenated; NotFound past the latest signed checkpoint."""
    return await rt.db.read(lambda connection: _hash_tile(connection, tile))


def _hash_tile(connection: Connection, tile: Tile) -> bytes:
    _require_signed(connection, tile)
    hashes = store.read_level(
        connection, TILE_HEIGHT * tile.level, tile.first, tile.first + tile.width
    )
    return b"".join(hashes)


async def entry_bundle(rt: Runtime, tile: Tile, *, caller_is_admin: bool) -> bytes:
    """The leaves of a level-0 tile, for administrators only.

    Leaves name pseudonyms, routes and times: together they show who used the service
    when, so the bundle is not public. A user's own leaves, with their inclusion proofs,
    are their audit trail (`/api/users/me/audit`); a bundle with other people's leaves
    left out would not hash to the tile, so users are refused rather than misled."""
    if not caller_is_admin:
        raise Forbidden(
            "Entry bundles are for administrators; your own leaves are at /api/users/me/audit",
            details={"ownLeaves": "/api/users/me/audit"},
        )
    return await rt.db.read(lambda connection: _entry_bundle(connection, tile))


def _entry_bundle(connection: Connection, tile: Tile) -> bytes:
    _require_signed(connection, tile)
    leaves = store.read_leaf_data(connection, tile.first, tile.first + tile.width)
    return b"".join(_length_prefixed(data) for data in leaves)


def _length_prefixed(data: bytes) -> bytes:
    if len(data) > MAX_ENTRY_BYTES:
        raise ValueError(f"a leaf of {len(data)} bytes does not fit an entry bundle")
    return len(data).to_bytes(2, "big") + data


def _require_signed(connection: Connection, tile: Tile) -> None:
    checkpoint = store.latest_checkpoint(connection)
    signed = checkpoint.tree_size if checkpoint is not None else 0
    if tile.leaves_needed() > signed:
        raise NotFound(
            f"The latest signed checkpoint (tree size {signed}) does not cover {tile.path()}",
            details={"treeSize": signed, "leavesNeeded": tile.leaves_needed()},
        )
