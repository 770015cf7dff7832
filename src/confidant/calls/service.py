"""Starting and ending calls: the WebRTC offer/answer (a complete offer, no trickle ICE,
in the style of WHIP), one `Call` per peer, and the ICE servers clients should use."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from confidant.auth.models import User
from confidant.calls import vad as vads
from confidant.calls.schemas import CallAnswer, CallConfig, CallOffer, IceServer
from confidant.calls.session import Call
from confidant.calls.turns import TurnDetector, end_of_turn_seconds
from confidant.chats import service as chats_service
from confidant.kit.errors import InvalidInput
from confidant.users.schemas import Preferences

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant.calls")

NEGOTIATION_SECONDS = 10.0  # gathering host candidates takes milliseconds; STUN a moment


class BadOffer(InvalidInput):
    code = "invalid_sdp"


def ice_servers(rt: Runtime) -> list[IceServer]:
    return [IceServer.model_validate(server) for server in rt.settings.call_ice_servers]


def config(rt: Runtime) -> CallConfig:
    pause = Preferences.model_fields["call_pause_seconds"]
    return CallConfig(
        ice_servers=ice_servers(rt),
        min_pause_seconds=0.5,
        max_pause_seconds=3.0,
        default_pause_seconds=float(pause.default),
    )


def _check_offer(sdp: str) -> None:
    """What the call needs from the offer, said plainly instead of failing later."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    if not lines[0].startswith("v=0"):
        raise BadOffer("The offer is not an SDP session description")
    if not any(line.startswith("m=audio") for line in lines):
        raise BadOffer("The offer has no audio: send the microphone as an audio track")
    if not any(line.startswith("m=application") for line in lines):
        raise BadOffer(f"The offer has no data channel: open one named {'events'!r}")


def turn_detector(user: User) -> TurnDetector:
    """Turn-taking by the person's own pause tolerance."""
    preferences = Preferences(**user.preferences)
    pause = end_of_turn_seconds(preferences.call_pause_seconds, preferences.call_never_interrupt)
    return TurnDetector(end_of_turn_seconds=pause)


async def start(rt: Runtime, user: User, offer: CallOffer) -> CallAnswer:
    """Answer the offer with a peer of our own; nothing is stored until someone speaks."""
    _check_offer(offer.sdp)
    await chats_service.require_chat(rt, user, offer.chat_id)
    rt.calls.reserve()
    try:
        async with asyncio.timeout(NEGOTIATION_SECONDS):  # not wait_for (see calls/media.py)
            return await _answer(rt, user, offer)
    finally:
        rt.calls.release()


async def _answer(rt: Runtime, user: User, offer: CallOffer) -> CallAnswer:
    servers = [RTCIceServer(**s.model_dump(exclude_none=True)) for s in ice_servers(rt)]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    call = Call(
        rt, user, offer.chat_id, pc, vads.make_vad(rt.settings.call_vad), turn_detector(user),
        rt.calls.observers, rt.calls.discard,
    )  # fmt: skip
    _wire(pc, call)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
        if not any(t.kind == "audio" for t in pc.getTransceivers()):
            raise BadOffer("The offer has no audio: send the microphone as an audio track")
        pc.addTrack(call.speaker)
        await pc.setLocalDescription(await pc.createAnswer())
    except BadOffer:
        await pc.close()
        raise
    except Exception as error:  # aiortc's parser raises whatever the text trips over
        await pc.close()
        log.info("refused an offer: %r", error)
        raise BadOffer(f"The offer could not be used: {error}") from None
    rt.calls.add(call)
    return CallAnswer(call_id=call.id, sdp=pc.localDescription.sdp)


def _wire(pc: RTCPeerConnection, call: Call) -> None:
    @pc.on("datachannel")
    def on_datachannel(channel: Any) -> None:
        call.attach(channel)

    @pc.on("track")
    def on_track(track: Any) -> None:
        if track.kind == "audio":
            call.listen(track)

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            await call.close("disconnected")


async def hang_up(rt: Runtime, user: User, call_id: str) -> None:
    await rt.calls.owned(user.id, call_id).close("hung up")
