"""Wire shapes of the ledger API. Hashes are lowercase hex."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiModel


class AnchorOut(ApiModel):
    chain_id: int
    tx_hash: str


class CheckpointOut(ApiModel):
    checkpoint: Annotated[str, StringConstraints(strip_whitespace=False)] = Field(
        description="C2SP tlog-checkpoint, signed as a C2SP note, byte for byte"
    )
    origin: str
    tree_size: int
    root_hash: str
    created_at: datetime
    public_key: str = Field(description="C2SP verifier key: name+keyid+base64(0x01||Ed25519 key)")
    anchor: AnchorOut | None


class InclusionProofOut(ApiModel):
    leaf_hash: str
    leaf_index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProofOut(ApiModel):
    first: int
    second: int
    hashes: list[str]


class AuditItem(ApiModel):
    tx_id: str = Field(description="the leaf hash")
    action: str
    timestamp: str
    leaf_index: int
    leaf: str = Field(
        description="base64 of the leaf's canonical bytes: tx_id is SHA-256(0x00 || these)"
    )
    proof: list[str] | None = Field(
        description="inclusion proof against `checkpoint`, when asked for and covered by it"
    )


class AuditPage(ApiModel):
    items: list[AuditItem]
    next_cursor: str | None
    checkpoint: CheckpointOut | None
