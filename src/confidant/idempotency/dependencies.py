"""`Idempotency-Key` on creating routes: the HTTP half of `idempotency.service`.

A creating route takes `once: Idempotent` and hands it the work:

    return await once(lambda: service.create(rt, session, principal.user, body))

Without the header the work simply runs. With it, the first request runs the work and
its answer (status and body) is kept in the same transaction as its writes; a repeat with
the same body gets that answer again (and `Idempotent-Replayed: true`) without running
anything; another body, or a repeat while the first still runs, is a 409. A route that
sets its own status (200 instead of 201) sets it on the `Response` inside the work.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import IDEMPOTENCY_HEADER
from confidant.auth.dependencies import CurrentPrincipal
from confidant.idempotency import service
from confidant.kit.errors import DomainError

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant")

HEADER = IDEMPOTENCY_HEADER
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII: no spaces, controls or other scripts

T = TypeVar("T")

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description=(
            "Send the same key again (a retry, an offline queue) and the request runs once: "
            "the repeat gets the first answer, with `Idempotent-Replayed: true`. Keys are "
            "the caller's own, per route, for at least 24 hours; 1-255 visible ASCII "
            "characters (a UUID, say)."
        ),
    ),
]


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


class Once:
    """Runs a creating request's work at most once per key."""

    def __init__(
        self,
        rt: Runtime,
        session: AsyncSession,
        request: Request,
        response: Response,
        user_id: str,
        key: str | None,
    ) -> None:
        self.rt, self.session = rt, session
        self.request, self.response = request, response
        self.user_id, self.key = user_id, key

    async def __call__(self, work: Callable[[], Awaitable[T]]) -> T:
        if self.key is None:
            return await work()
        route = self.request.scope.get("route")
        if not isinstance(route, APIRoute) or route.response_model is None:
            raise RuntimeError("an idempotent route needs a response_model")
        adapter = _adapter(route.response_model)
        attempt = service.attempt(
            self.rt,
            self.user_id,
            f"{self.request.method} {route.path}",
            self.key,
            self.request.method,
            _target(self.request),
            await self.request.body(),
        )
        begun = await service.begin(self.rt, attempt)
        if isinstance(begun, service.Answer):
            self.response.status_code = begun.status_code
            self.response.headers[REPLAYED_HEADER] = "true"
            return cast(T, adapter.validate_json(begun.body))
        try:
            result = await work()
            status = self.response.status_code or route.status_code or 200
            body = adapter.dump_json(result, by_alias=True)
            await service.complete(
                self.rt, self.session, self.user_id, begun, service.Answer(status, body)
            )
        except Exception as error:
            await self._give_back(begun, error)
            raise
        return result

    async def _give_back(self, claim: service.Claim, error: Exception) -> None:
        """The work failed: free the key so the request can be sent again."""
        try:
            if isinstance(error, DomainError) and error.keep_changes:
                await service.release_in(self.session, claim)  # commits with the refusal
                return
            # Roll back first: on SQLite the request's writes hold the database's write
            # lock, which a release in a transaction of its own would wait for.
            await self.session.rollback()
            await service.release(self.rt, claim)
        except Exception:
            log.exception("could not release an idempotency key; it frees itself later")


def _target(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


async def idempotency(
    request: Request,
    response: Response,
    rt: RuntimeDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: KeyHeader = None,
) -> Once:
    return Once(rt, session, request, response, principal.user.id, key)


Idempotent = Annotated[Once, Depends(idempotency)]
