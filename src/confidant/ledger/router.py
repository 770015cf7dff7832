"""HTTP for the ledger: checkpoints, proofs and the caller's own trail, and the log as
C2SP tlog-tiles under /ledger/ (the checkpoint's origin names that prefix)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

from confidant.app.deps import RuntimeDep
from confidant.app.openapi import error_response, errors
from confidant.app.web import IMMUTABLE, REVALIDATE
from confidant.auth.dependencies import StreamingPrincipal
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from confidant.ledger import service, tiles
from confidant.ledger.schemas import (
    AnchorOut,
    AuditItem,
    AuditPage,
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
)
from confidant.ledger.store import LedgerCheckpointRow

if TYPE_CHECKING:
    from confidant.runtime import Runtime

router = APIRouter(tags=["ledger"])

TreeSize = Annotated[int, Query(ge=0, le=2**62)]
HASH_PATTERN = r"^(0[xX])?[0-9a-fA-F]{64}$"  # what service.parse_hash reads

# A full tile never changes (IMMUTABLE). A partial one does not either, but it is the tree's
# edge for a moment: clients move on to wider ones, and the spec lets a log drop it.
PARTIAL = "public, max-age=60"
PRIVATE = "private, no-store"  # entry bundles name pseudonyms
OCTETS = "application/octet-stream"


def _served_as(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "string"} | ({"format": "binary"} if media_type == OCTETS else {})
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": schema}},
            "headers": {"Cache-Control": {"schema": {"type": "string"}}},
        }
    }


NOT_SIGNED: dict[int | str, dict[str, Any]] = {
    404: error_response(404)
    | {"description": "Beyond the tree of the latest signed checkpoint (or no checkpoint yet)"}
}

TileLevel = Annotated[
    str, Path(pattern=r"^(0|[1-9][0-9]?)$", description="<L>: tree level 8 * L, 0..63")
]
TileIndex = Annotated[
    str,
    Path(
        pattern=r"^(x[0-9]{3}/)*[0-9]{3}(\.p/[1-9][0-9]{0,2})?$",
        description="<N>[.p/<W>]: groups of three digits, 'x' before all but the last "
        "(1234067 is x001/x234/067); .p/<W> for a partial tile of W (1..255) hashes",
    ),
]


@router.get("/api/ledger/checkpoint", response_model=CheckpointOut, responses=errors(404))
async def checkpoint(rt: RuntimeDep) -> CheckpointOut:
    """The latest signed checkpoint and the key that verifies it."""
    return _checkpoint_out(rt, await service.latest_checkpoint(rt))


@router.get(
    "/ledger/checkpoint",
    response_class=PlainTextResponse,
    responses=_served_as("text/plain", "The latest checkpoint: a C2SP signed note") | errors(404),
)
async def signed_checkpoint(rt: RuntimeDep) -> PlainTextResponse:
    """The latest signed checkpoint as C2SP tlog-tiles serves it, byte for byte."""
    row = await service.latest_checkpoint(rt)
    return PlainTextResponse(row.note, headers={"Cache-Control": REVALIDATE})


@router.get(
    "/ledger/tile/entries/{index:path}",
    response_class=Response,
    responses=_served_as(OCTETS, "The leaves of a level-0 tile, uint16-length-prefixed")
    | errors(403)
    | NOT_SIGNED,
)
async def entry_bundle(principal: StreamingPrincipal, rt: RuntimeDep, index: TileIndex) -> Response:
    """A tlog-tiles entry bundle; administrators only (users: `/api/users/me/audit`)."""
    tile = tiles.entries_tile_at(index)
    data = await tiles.entry_bundle(rt, tile, caller_is_admin=principal.is_admin)
    return Response(data, media_type=OCTETS, headers={"Cache-Control": PRIVATE})


@router.get(
    "/ledger/tile/{level}/{index:path}",
    response_class=Response,
    responses=_served_as(OCTETS, "The tile's hashes, 32 bytes each") | NOT_SIGNED,
)
async def hash_tile(rt: RuntimeDep, level: TileLevel, index: TileIndex) -> Response:
    """A tlog-tiles hash tile (height 8) that the latest signed checkpoint covers."""
    tile = tiles.hash_tile_at(level, index)
    data = await tiles.hash_tile(rt, tile)
    cache = PARTIAL if tile.is_partial else IMMUTABLE
    return Response(data, media_type=OCTETS, headers={"Cache-Control": cache})


@router.get(
    "/api/ledger/proof/inclusion", response_model=InclusionProofOut, responses=errors(400, 404)
)
async def inclusion(
    rt: RuntimeDep,
    leaf_hash: Annotated[str, Query(pattern=HASH_PATTERN, description="64 hex digits")],
    tree_size: TreeSize | None = None,
) -> InclusionProofOut:
    """RFC 9162 inclusion proof; `tree_size` defaults to the latest checkpoint's."""
    leaf = service.parse_hash(leaf_hash, "leaf_hash")
    proof = await service.inclusion_proof(rt, leaf, tree_size)
    return InclusionProofOut(
        leaf_hash=leaf.hex(),
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        hashes=[node.hex() for node in proof.hashes],
    )


@router.get(
    "/api/ledger/proof/consistency", response_model=ConsistencyProofOut, responses=errors(400, 404)
)
async def consistency(rt: RuntimeDep, first: TreeSize, second: TreeSize) -> ConsistencyProofOut:
    """RFC 9162 consistency proof between two tree sizes."""
    hashes = await service.consistency_proof(rt, first, second)
    return ConsistencyProofOut(first=first, second=second, hashes=[node.hex() for node in hashes])


@router.get("/api/users/me/audit", response_model=AuditPage)
async def audit(
    principal: StreamingPrincipal,
    rt: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    proof: bool = False,
) -> AuditPage:
    """The caller's own trail in the ledger, newest first."""
    trail = await service.trail(rt, principal.user.id, cursor, limit, proof)
    return AuditPage(
        items=[
            AuditItem(
                tx_id=item.leaf_hash.hex(),
                action=item.action,
                timestamp=item.at,
                leaf_index=item.leaf_index,
                leaf=base64.b64encode(item.data).decode(),
                proof=None if item.proof is None else [node.hex() for node in item.proof],
            )
            for item in trail.items
        ],
        next_cursor=trail.next_cursor,
        checkpoint=None if trail.checkpoint is None else _checkpoint_out(rt, trail.checkpoint),
    )


def _checkpoint_out(rt: Runtime, row: LedgerCheckpointRow) -> CheckpointOut:
    anchor = None
    if row.anchor_tx is not None and row.anchor_chain_id is not None:
        anchor = AnchorOut(chain_id=row.anchor_chain_id, tx_hash=row.anchor_tx)
    return CheckpointOut(
        checkpoint=row.note,
        origin=rt.ledger.signer.origin,
        tree_size=row.tree_size,
        root_hash=row.root_hash.hex(),
        created_at=row.created_at,
        public_key=rt.ledger.signer.verifier_key,
        anchor=anchor,
    )
