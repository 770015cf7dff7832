"""WS /ws/chats/{chat_id}: JSON text frames in and out, replies streamed as deltas;
voice messages as binary frames, answered with text and speech.

In:  {"type": "message", "content": "..."}, {"type": "stop"} (the reply being written
     ends there and is kept as written, "interrupted": true) and {"type": "ping"}
     Voice: {"type": "voice.start", "format": "wav" | "ogg"} (the reply's audio format,
     wav by default), then the recording (WAV, WebM, Ogg, MP3 or M4A; one file) as
     binary frames in order, then {"type": "voice.end"} to be answered or
     {"type": "voice.cancel"} to drop it.
Out: {"type": "crisis", "resources": "...", "severity": "high" | "moderate"} at once
     when a message needs help (at "high" the reply is a fixed safety message),
     {"type": "sources", "sources": [...]}, {"type": "delta", "content": "..."},
     {"type": "message", ...stored reply..., "crisis": bool},
     {"type": "pong"}, {"type": "error", "error": {"code", "message", "details"}}
     Voice: {"type": "transcript", "content": "...", "message": {...stored...}} first;
     then deltas, and as each sentence is spoken {"type": "audio", "index": n,
     "text": "...", "contentType": "...", "size": n} followed by one binary frame: that
     sentence as a complete audio file; last the "message" frame, which adds "audio"
     (the whole reply spoken, to GET) and "userAudio" (the recording as kept).
The access token comes as `?token=` or as the subprotocols ["bearer", "<token>"].
     After {"type": "stop"}: the "message" frame of the reply as kept, or {"type":
     "stopped"} when it was stopped before the model began.
Close codes: 4401 bad token, 4404 not your chat. Leaving mid-reply stops the model, and
the reply is kept as far as it was written, marked interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from confidant.auth import service as auth_service
from confidant.auth.models import User
from confidant.chats import service
from confidant.chats.schemas import MessageCreate, MessageOut
from confidant.companion.channels import chat_turn
from confidant.companion.events import Crisis, Delta, Failed, Sources
from confidant.companion.keepers import ChatTurn
from confidant.companion.voice import SentenceAudio, Transcribed, VoiceEvent, converse_by_voice
from confidant.kit import jsonsafe
from confidant.kit.errors import DomainError, error_body
from confidant.kit.schemas import RESOURCE_ID_PATTERN
from confidant.voice.recording import IncomingRecording, RecordingNotStarted

if TYPE_CHECKING:
    from confidant.runtime import Runtime

router = APIRouter()
log = logging.getLogger("confidant.chats")
RESOURCE_ID = re.compile(RESOURCE_ID_PATTERN)

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
BEARER_SUBPROTOCOL = "bearer"


def _token_and_subprotocol(websocket: WebSocket) -> tuple[str | None, str | None]:
    protocols = websocket.scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0] == BEARER_SUBPROTOCOL:
        return protocols[1], BEARER_SUBPROTOCOL
    return websocket.query_params.get("token"), None


@router.websocket("/ws/chats/{chat_id}")
async def chat_socket(websocket: WebSocket, chat_id: str) -> None:
    rt: Runtime = websocket.app.state.runtime
    token, subprotocol = _token_and_subprotocol(websocket)
    await websocket.accept(subprotocol=subprotocol)
    try:
        async with rt.db.transaction() as session:
            principal = await auth_service.authenticate(rt, session, token or "")
            chat = None
            if RESOURCE_ID.fullmatch(chat_id):  # else not one of ours (a NUL, say)
                chat = await service.find_chat(session, principal.user, chat_id)
    except DomainError:
        await websocket.close(CLOSE_UNAUTHORIZED, "invalid or expired token")
        return
    if chat is None:
        await websocket.close(CLOSE_NOT_FOUND, "chat not found")
        return
    await ChatSocket(rt, websocket, principal.user, chat_id).run()


class ChatSocket:
    def __init__(self, rt: Runtime, websocket: WebSocket, user: User, chat_id: str) -> None:
        self.rt = rt
        self.websocket = websocket
        self.user = user
        self.chat_id = chat_id
        self.reply_task: asyncio.Task[None] | None = None
        self.turn: ChatTurn | None = None
        self.crisis = False  # the current turn's message needed help
        self.recording: IncomingRecording | None = None

    async def run(self) -> None:
        inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        reader = asyncio.create_task(self._read(inbox))
        try:
            while (raw := await inbox.get()) is not None:
                await self._handle(raw)
        finally:
            for task in (reader, self.reply_task):  # a reply in progress stops here
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _read(self, inbox: asyncio.Queue[str | bytes | None]) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                await inbox.put(data if data is not None else message.get("text") or "")
        finally:
            await inbox.put(None)

    async def _handle(self, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            await self._record(raw)
            return
        try:
            frame = jsonsafe.loads(raw)
        except jsonsafe.TooDeeplyNested as exc:
            await self._error("json_too_deep", f"Frames must not be {exc}")
            return
        except ValueError:
            await self._error("invalid_json", "Frames must be JSON objects")
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "message":
            await self._start_reply(frame)
        elif kind == "stop":
            await self._stop()
        elif kind in ("voice.start", "voice.end", "voice.cancel"):
            await self._voice_control(kind, frame)
        else:
            await self._error(
                "bad_frame",
                "Frame type must be 'message', 'stop', 'ping', 'voice.start', 'voice.end' "
                "or 'voice.cancel'",
            )

    async def _voice_control(self, kind: str, frame: dict[str, Any]) -> None:
        if kind == "voice.start":
            reply_format = frame.get("format", "wav")
            if reply_format not in ("wav", "ogg"):
                fields = [{"field": "format", "message": "must be 'wav' or 'ogg'"}]
                await self._error("validation_error", "Unknown audio format", fields)
                return
            limit = self.rt.settings.voice_max_upload_bytes
            self.recording = IncomingRecording(reply_format, limit)
            return
        recording, self.recording = self.recording, None
        if kind == "voice.cancel" or (recording is not None and recording.overflowed):
            return
        if recording is None:
            error = RecordingNotStarted()
            await self._error(error.code, error.message)
        elif not await self._busy():
            self.reply_task = asyncio.create_task(self._answered(self._voice_reply(recording)))

    async def _record(self, chunk: bytes) -> None:
        try:
            if self.recording is None:
                raise RecordingNotStarted()
            self.recording.add(chunk)
        except DomainError as error:
            await self._error(error.code, error.message, error.details)

    async def _busy(self) -> bool:
        if self.reply_task is not None and not self.reply_task.done():
            await self._error("busy", "Wait for the current reply to finish")
            return True
        return False

    async def _start_reply(self, frame: dict[str, Any]) -> None:
        if await self._busy():
            return
        try:
            message = MessageCreate.model_validate(
                {"chat_id": self.chat_id, "content": frame.get("content")}
            )
        except ValidationError as exc:
            fields = [
                {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
            ]
            await self._error("validation_error", "Message is invalid", fields)
            return
        self.reply_task = asyncio.create_task(self._answered(self._reply(message.content)))

    async def _answered(self, reply: Coroutine[Any, Any, None]) -> None:
        """Run a reply; one that fails unexpectedly (a database error, say) is logged and
        answered with an error frame, so the client never waits for a turn that died."""
        try:
            await reply
        except Exception:
            log.exception("a chat turn over WebSocket failed")
            await self._error("internal_error", "Something went wrong on our side")

    async def _reply(self, content: str) -> None:
        self.turn, events = chat_turn(self.rt, self.user, self.chat_id, content)
        self.crisis = False
        async for event in events:
            if isinstance(event, Crisis):
                self.crisis = True
                await self._send_crisis(event)
            elif isinstance(event, Sources):
                sources = [s.model_dump(mode="json", by_alias=True) for s in event.sources]
                await self._send({"type": "sources", "sources": sources})
            elif isinstance(event, Delta):
                await self._send({"type": "delta", "content": event.text})
            elif isinstance(event, Failed):
                await self._error(event.error.code, event.error.message, event.error.details)
            else:
                await self._send_message(event.kept, self.crisis)

    async def _stop(self) -> None:
        """Stop the reply being written; it is kept as far as it got, marked interrupted."""
        task, turn = self.reply_task, self.turn
        if task is None or task.done() or turn is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if turn.kept is None:  # stopped before the model began: nothing to keep
            await self._send({"type": "stopped"})
        else:
            await self._send_message(turn.kept, self.crisis)

    async def _send_crisis(self, event: Crisis) -> None:
        await self._send(
            {"type": "crisis", "resources": event.resources, "severity": event.severity}
        )

    async def _send_message(self, message: MessageOut, crisis: bool) -> None:
        payload = message.model_dump(mode="json", by_alias=True)
        await self._send({"type": "message", **payload, "crisis": crisis})

    async def _voice_reply(self, recording: IncomingRecording) -> None:
        events = converse_by_voice(
            self.rt,
            self.user,
            self.chat_id,
            recording.audio(),
            recording.reply_format,
            sentence_audio=True,
        )
        try:
            async for event in events:
                await self._send_voice_event(event)
        except DomainError as error:
            await self._error(error.code, error.message, error.details)

    async def _send_voice_event(self, event: VoiceEvent) -> None:
        if isinstance(event, Delta):
            await self._send({"type": "delta", "content": event.text})
        elif isinstance(event, Crisis):
            await self._send_crisis(event)
        elif isinstance(event, Transcribed):
            message = event.user_message.model_dump(mode="json", by_alias=True)
            await self._send(
                {"type": "transcript", "content": event.transcript, "message": message}
            )
        elif isinstance(event, SentenceAudio):
            await self._send(
                {
                    "type": "audio",
                    "index": event.index,
                    "text": event.text,
                    "contentType": event.content_type,
                    "size": len(event.data),
                }
            )
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.websocket.send_bytes(event.data)
        else:
            turn = event.model_dump(mode="json", by_alias=True)
            await self._send(
                {
                    "type": "message",
                    **turn["reply"],
                    "crisis": turn["crisis"],
                    "audio": turn["replyAudio"],
                    "userAudio": turn["userAudio"],
                }
            )

    async def _error(self, code: str, message: str, details: Any = None) -> None:
        await self._send({"type": "error", **error_body(code, message, details)})

    async def _send(self, frame: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.send_text(json.dumps(frame, separators=(",", ":")))
