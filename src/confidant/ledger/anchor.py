"""Publishing checkpoint roots to an EVM chain, and checking what was published.

A root goes out as the data of a zero-value transaction from the anchoring account to
itself: `CONFIDANT-LEDGER`, a version byte, the tree size (8 bytes) and the root. The
transaction hash is kept beside the checkpoint; `ledger verify` reads it back.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from confidant.config import Settings
from confidant.kit.imports import keeping_recursion_limit
from confidant.ledger.checkpoints import Checkpoint

if TYPE_CHECKING:
    from web3 import Web3

PAYLOAD_PREFIX = b"CONFIDANT-LEDGER\x01"


def anchor_payload(tree_size: int, root_hash: bytes) -> bytes:
    return PAYLOAD_PREFIX + tree_size.to_bytes(8, "big") + root_hash


class ChainAnchor:
    def __init__(
        self, web3: Web3, private_key: str, chain_id: int | None = None, interval: float = 0.0
    ) -> None:
        with keeping_recursion_limit():  # py_ecc, under eth_account, raises it to 100,000
            from eth_account import Account

        self.web3 = web3
        self.account = Account.from_key(private_key)
        self.chain_id = chain_id if chain_id is not None else int(web3.eth.chain_id)
        self.interval = interval
        self._last_published = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainAnchor | None:
        if not (settings.ledger_anchor_rpc_url and settings.ledger_anchor_private_key):
            return None
        with keeping_recursion_limit():
            from web3 import Web3

        web3 = Web3(Web3.HTTPProvider(settings.ledger_anchor_rpc_url))
        return cls(
            web3,
            settings.ledger_anchor_private_key,
            settings.ledger_anchor_chain_id,
            settings.ledger_anchor_interval_seconds,
        )

    async def __call__(self, checkpoint: Checkpoint) -> tuple[int, str] | None:
        """Publish `checkpoint` unless one went out less than `interval` seconds ago."""
        if time.monotonic() - self._last_published < self.interval:
            return None
        tx_hash = await asyncio.to_thread(self.publish, checkpoint.tree_size, checkpoint.root_hash)
        self._last_published = time.monotonic()
        return self.chain_id, tx_hash

    def publish(self, tree_size: int, root_hash: bytes) -> str:
        """Send the root and wait for it to be mined; returns the transaction hash (0x...)."""
        eth = self.web3.eth
        transaction: dict[str, Any] = {
            "from": self.account.address,
            "to": self.account.address,
            "value": 0,
            "data": anchor_payload(tree_size, root_hash),
            "nonce": eth.get_transaction_count(self.account.address, "pending"),
            "chainId": self.chain_id,
            "gasPrice": eth.gas_price,
        }
        transaction["gas"] = eth.estimate_gas(transaction)  # type: ignore[arg-type]
        signed = self.account.sign_transaction(transaction)
        tx_hash = eth.send_raw_transaction(signed.raw_transaction)
        receipt = eth.wait_for_transaction_receipt(tx_hash, timeout=300)
        if receipt["status"] != 1:
            raise RuntimeError(f"anchoring transaction {tx_hash.to_0x_hex()} failed")
        return str(tx_hash.to_0x_hex())


def check_anchor(
    web3: Web3, chain_id: int, tx_hash: str, tree_size: int, root: bytes
) -> str | None:
    """None when `tx_hash` on this chain carries exactly this root; else what is wrong."""
    if int(web3.eth.chain_id) != chain_id:
        return f"connected to chain {web3.eth.chain_id}, the anchor is on chain {chain_id}"
    try:
        transaction = web3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        receipt = web3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    except Exception as error:  # web3 raises several types for an unknown transaction
        return f"transaction {tx_hash} not found: {error}"
    if receipt["status"] != 1:
        return f"transaction {tx_hash} failed on chain"
    if bytes(transaction["input"]) != anchor_payload(tree_size, root):
        return f"transaction {tx_hash} does not carry the root of tree size {tree_size}"
    return None
