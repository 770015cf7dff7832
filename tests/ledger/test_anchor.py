"""Anchoring checkpoint roots on an EVM chain: a real in-process chain (eth-tester with
the py-evm backend), real signed transactions, no network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from sqlalchemy import select, update
from web3 import EthereumTesterProvider, Web3

from confidant.ledger.anchor import ChainAnchor, anchor_payload, check_anchor
from confidant.ledger.models import LedgerCheckpoint
from confidant.ledger.store import PendingLeaf
from confidant.ledger.verify import verify_log
from confidant.runtime import Runtime
from tests.conftest import make_settings, upgrade_schema


@pytest.fixture
def chain() -> tuple[Web3, str]:
    backend = PyEVMBackend()
    web3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
    return web3, backend.account_keys[0].to_hex()


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path)
    await upgrade_schema(settings)
    rt = await Runtime.start(settings)
    yield rt
    await rt.close()


def test_a_published_root_is_found_in_its_transaction(chain: tuple[Web3, str]) -> None:
    web3, key = chain
    anchor = ChainAnchor(web3, key)
    root = bytes(range(32))
    tx = anchor.publish(7, root)
    transaction = web3.eth.get_transaction(tx)  # type: ignore[arg-type]
    assert bytes(transaction["input"]) == anchor_payload(7, root)
    assert transaction["from"] == anchor.account.address
    assert check_anchor(web3, anchor.chain_id, tx, 7, root) is None
    assert "does not carry" in str(check_anchor(web3, anchor.chain_id, tx, 8, root))
    assert "does not carry" in str(check_anchor(web3, anchor.chain_id, tx, 7, bytes(32)))
    assert "chain" in str(check_anchor(web3, anchor.chain_id + 1, tx, 7, root))
    assert "not found" in str(check_anchor(web3, anchor.chain_id, "0x" + "ab" * 32, 7, root))


async def test_checkpoints_are_anchored_and_verified_on_chain(
    runtime: Runtime, chain: tuple[Web3, str]
) -> None:
    web3, key = chain
    anchor = ChainAnchor(web3, key)
    runtime.sequencer.anchor = anchor
    for batch in range(3):
        for number in range(5):
            runtime.ledger.calls.add(PendingLeaf(f'{{"n":{batch * 5 + number}}}'.encode(), None))
        await runtime.sequencer.drain()

    async with runtime.db.engine.connect() as connection:
        anchored = list(
            await connection.execute(
                select(LedgerCheckpoint.tree_size, LedgerCheckpoint.anchor_tx).where(
                    LedgerCheckpoint.anchor_tx.is_not(None)
                )
            )
        )
    assert [size for size, _ in anchored] == [5, 10, 15]

    def on_chain(chain_id: int, tx: str, size: int, root: bytes) -> str | None:
        return check_anchor(web3, chain_id, tx, size, root)

    key_id = runtime.ledger.signer.verifier_key
    report = await verify_log(runtime.db, key_id, anchor_check=on_chain)
    assert report.ok, report.problems
    assert report.anchors == 3

    unchecked = await verify_log(runtime.db, key_id)
    assert not unchecked.ok  # anchors present but no chain to check them on

    async with runtime.db.engine.begin() as connection:
        await connection.execute(
            update(LedgerCheckpoint)
            .where(LedgerCheckpoint.tree_size == 10)
            .values(anchor_tx=anchored[0][1])  # the transaction of another root
        )
    report = await verify_log(runtime.db, key_id, anchor_check=on_chain)
    assert any("checkpoint 10: transaction" in problem for problem in report.problems)


async def test_anchoring_waits_for_its_interval(runtime: Runtime, chain: tuple[Web3, str]) -> None:
    web3, key = chain
    runtime.sequencer.anchor = ChainAnchor(web3, key, interval=3600)
    for size in range(3):
        runtime.ledger.calls.add(PendingLeaf(f"{size}".encode(), None))
        await runtime.sequencer.drain()
    async with runtime.db.engine.connect() as connection:
        anchored = list(
            await connection.scalars(
                select(LedgerCheckpoint.tree_size).where(LedgerCheckpoint.anchor_tx.is_not(None))
            )
        )
    assert anchored == [1]
