"""Destroying a key lists its owner once, however often it is destroyed."""

from __future__ import annotations

from confidant.runtime import Runtime


async def test_a_destroyed_key_is_listed_once(runtime: Runtime) -> None:
    owner = "user:00000000-0000-0000-0000-00000000beef"
    await runtime.keystore.create(owner)
    await runtime.keystore.destroy(owner)
    await runtime.keystore.destroy(owner)  # a second deletion of the same account
    assert (await runtime.keystore.shredded()).count(owner) == 1
