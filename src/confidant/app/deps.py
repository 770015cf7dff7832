"""FastAPI dependencies shared by every router: the runtime and the request's session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from confidant.runtime import Runtime
else:
    Runtime = Any  # FastAPI evaluates `RuntimeDep`; only entry points import the runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed before the response is sent, or rolled back."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.transaction() as session:
        yield session


async def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ClientIp = Annotated[str, Depends(client_ip)]
