// One live call: the microphone out, the companion's voice in, JSON events on the
// `events` data channel. Signalling is one POST with a complete offer (no trickle ICE).
import { request } from '../api/client'

export type CallEvent =
  | { type: 'listening'; interrupted?: boolean }
  | { type: 'transcript'; text: string; final: boolean }
  | { type: 'thinking' }
  | { type: 'delta'; text: string }
  | { type: 'speaking'; timings?: Record<string, number> }
  | { type: 'crisis'; resources: string; severity: string }
  | { type: 'replied'; messageId: string; interrupted: boolean }
  | { type: 'error'; code: string; message: string }
  | { type: 'ended'; reason: string }

interface IceServerOut {
  urls: string[]
  username?: string | null
  credential?: string | null
}

interface CallConfig {
  iceServers: IceServerOut[]
}

interface CallAnswer {
  callId: string
  sdp: string
}

const GATHERING_MS = 5000

/** The browser gave no microphone (refused, absent or busy). */
export class MicrophoneUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'MicrophoneUnavailable'
  }
}

async function microphone(): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    })
  } catch (error) {
    throw new MicrophoneUnavailable(error)
  }
}

export interface LiveCall {
  callId: string
  remote: MediaStream
  setMuted: (muted: boolean) => void
  hangUp: () => Promise<void>
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return
      pc.removeEventListener('icegatheringstatechange', done)
      resolve()
    }
    pc.addEventListener('icegatheringstatechange', done)
    setTimeout(resolve, GATHERING_MS) // send what was gathered rather than wait forever
  })
}

/** Dial into `chatId`; `onEvent` hears every event until the call ends. */
export async function startCall(chatId: string, onEvent: (event: CallEvent) => void): Promise<LiveCall> {
  const config = await request<CallConfig>('/api/calls/config')
  const mic = await microphone()
  const iceServers = config.iceServers.map((s) => ({
    urls: s.urls,
    ...(s.username ? { username: s.username } : {}),
    ...(s.credential ? { credential: s.credential } : {}),
  }))
  const pc = new RTCPeerConnection({ iceServers })
  const remote = new MediaStream()
  pc.addEventListener('track', (event) => remote.addTrack(event.track))
  const channel = pc.createDataChannel('events')
  channel.addEventListener('message', (message) => {
    try {
      onEvent(JSON.parse(String(message.data)) as CallEvent)
    } catch {
      // not an event of ours
    }
  })
  for (const track of mic.getTracks()) pc.addTrack(track, mic)
  const stop = () => {
    for (const track of mic.getTracks()) track.stop()
    pc.close()
  }
  try {
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc)
    const answer = await request<CallAnswer>('/api/calls', {
      method: 'POST',
      body: { chatId, type: 'offer', sdp: pc.localDescription?.sdp ?? '' },
    })
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp })
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed') onEvent({ type: 'ended', reason: 'disconnected' })
    })
    return {
      callId: answer.callId,
      remote,
      setMuted: (muted) => {
        for (const track of mic.getAudioTracks()) track.enabled = !muted
      },
      hangUp: async () => {
        try {
          await request(`/api/calls/${answer.callId}`, { method: 'DELETE' })
        } catch {
          // already over on the server
        } finally {
          stop()
        }
      },
    }
  } catch (error) {
    stop()
    throw error
  }
}
