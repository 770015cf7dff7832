// A reply, streamed: over the WebSocket /ws/chats/{id}, or SSE from POST /api/messages
// when the socket cannot be used. Both are turned into the same events.
import type { Clip, Message, Source } from '../api/types'
import { ApiError, accessToken, refreshSession } from '../api/client'

export type ReplyEvent =
  | { type: 'crisis'; resources: string; severity: string }
  | { type: 'sources'; sources: Source[] }
  | { type: 'delta'; content: string }
  | { type: 'message'; message: Message; crisis: boolean; audio?: Clip | null; userAudio?: Clip | null }
  | { type: 'transcript'; content: string; message: Message }
  | { type: 'audio'; index: number; text: string; contentType: string; data: Blob }
  | { type: 'stopped' }
  | { type: 'error'; code: string; message: string; details?: unknown }

export interface SseEvent {
  event: string
  data: string
}

/** Incremental text/event-stream parser (WHATWG rules: fields, multi-line data, comments). */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []

  push(chunk: string): SseEvent[] {
    this.buffer += chunk
    const out: SseEvent[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer)
      if (!match) break
      // a lone \r at the very end may be the first half of \r\n: wait for more
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break
      const line = this.buffer.slice(0, match.index)
      this.buffer = this.buffer.slice(match.index + match[0].length)
      if (line === '') {
        if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') })
        this.event = ''
        this.data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') this.event = value
      else if (field === 'data') this.data.push(value)
    }
    return out
  }
}

type Frame = Record<string, unknown> & { type?: string }

/** One JSON frame (WebSocket) or SSE event as a ReplyEvent; null for frames we ignore. */
export function toReplyEvent(kind: string, payload: unknown): ReplyEvent | null {
  const frame = (payload ?? {}) as Frame
  switch (kind) {
    case 'crisis':
      return { type: 'crisis', resources: String(frame.resources ?? ''), severity: String(frame.severity ?? '') }
    case 'sources':
      return { type: 'sources', sources: (Array.isArray(payload) ? payload : (frame.sources as Source[])) ?? [] }
    case 'delta':
      return { type: 'delta', content: String(frame.content ?? '') }
    case 'message': {
      const { type: _type, crisis, audio, userAudio, ...message } = frame
      void _type
      return {
        type: 'message',
        message: message as unknown as Message,
        crisis: crisis === true,
        audio: (audio as Clip | undefined) ?? null,
        userAudio: (userAudio as Clip | undefined) ?? null,
      }
    }
    case 'transcript':
      return { type: 'transcript', content: String(frame.content ?? ''), message: frame.message as Message }
    case 'stopped':
      return { type: 'stopped' }
    case 'error': {
      const error = (frame.error ?? frame) as { code?: string; message?: string; details?: unknown }
      return { type: 'error', code: error.code ?? 'error', message: error.message ?? '', details: error.details }
    }
    default:
      return null
  }
}

export interface ReplyHandle {
  /** Ask the server to stop; the reply is kept as far as it was written. */
  stop(): void
  /** Settles when the reply has ended (message, stopped or error). */
  done: Promise<void>
}

export type Emit = (event: ReplyEvent) => void

/** Send a message and stream the reply as SSE. Stop aborts the request. */
export function streamOverSse(chatId: string, content: string, emit: Emit): ReplyHandle {
  const controller = new AbortController()
  let finished = false
  const done = (async () => {
    const send = () =>
      fetch('/api/messages', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'text/event-stream',
          ...(accessToken() ? { Authorization: `Bearer ${accessToken()}` } : {}),
        },
        body: JSON.stringify({ chatId, content }),
        signal: controller.signal,
        credentials: 'same-origin',
      })
    try {
      let response = await send()
      if (response.status === 401 && (await refreshSession())) response = await send()
      if (!response.ok || !response.body) {
        let code = 'http_' + response.status
        let message = response.statusText
        try {
          const body = (await response.json()) as { error: { code: string; message: string } }
          code = body.error.code
          message = body.error.message
        } catch {
          // keep the status
        }
        emit({ type: 'error', code, message })
        finished = true
        return
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      const parser = new SseParser()
      for (;;) {
        const { value, done: end } = await reader.read()
        if (end) break
        for (const item of parser.push(value)) {
          let data: unknown = null
          try {
            data = JSON.parse(item.data)
          } catch {
            continue
          }
          const event = toReplyEvent(item.event, data)
          if (!event) continue
          if (event.type === 'message' || event.type === 'error') finished = true
          emit(event)
        }
      }
      if (!finished) emit({ type: 'stopped' })
    } catch (error) {
      if (controller.signal.aborted) {
        if (!finished) emit({ type: 'stopped' })
      } else emit({ type: 'error', code: 'network', message: String(error) })
    }
  })()
  return { stop: () => controller.abort(), done }
}

export interface SocketOptions {
  /** Make a WebSocket (tests pass a fake). */
  create?: (url: string, protocols: string[]) => WebSocket
  /** How long to wait for the socket to open before giving up on it. */
  openTimeoutMs?: number
}

/** A chat's WebSocket, opened on demand and kept for the next messages. */
export class ChatSocket {
  private socket: WebSocket | null = null
  private opening: Promise<WebSocket> | null = null
  private emit: Emit | null = null
  private finish: (() => void) | null = null
  private pendingAudio: { index: number; text: string; contentType: string } | null = null
  readonly chatId: string
  private readonly options: SocketOptions

  constructor(chatId: string, options: SocketOptions = {}) {
    this.chatId = chatId
    this.options = options
  }

  private url(): string {
    const { protocol, host } = window.location
    return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/ws/chats/${encodeURIComponent(this.chatId)}`
  }

  /** Open (or reuse) the socket; rejects when it cannot be opened (then use SSE). */
  open(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket)
    if (this.opening) return this.opening
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const token = accessToken()
      if (!token) {
        reject(new ApiError(401, 'unauthorized', 'no token', null, null))
        return
      }
      const create = this.options.create ?? ((url, protocols) => new WebSocket(url, protocols))
      let socket: WebSocket
      try {
        socket = create(this.url(), ['bearer', token])
      } catch (error) {
        reject(error)
        return
      }
      socket.binaryType = 'blob'
      const timer = setTimeout(() => {
        socket.close()
        reject(new Error('WebSocket did not open'))
      }, this.options.openTimeoutMs ?? 5000)
      socket.onopen = () => {
        clearTimeout(timer)
        this.socket = socket
        resolve(socket)
      }
      socket.onerror = () => {
        clearTimeout(timer)
        reject(new Error('WebSocket failed'))
      }
      socket.onclose = (event) => {
        clearTimeout(timer)
        if (this.socket === socket) this.socket = null
        reject(new Error(`WebSocket closed (${event.code})`))
        if (this.emit) {
          // the socket went away mid-reply
          const code = event.code === 4401 ? 'unauthorized' : 'socket_closed'
          this.deliver({ type: 'error', code, message: event.reason || 'connection closed' })
        }
      }
      socket.onmessage = (event) => this.receive(event.data)
    }).finally(() => {
      this.opening = null
    })
    return this.opening
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      const pending = this.pendingAudio
      this.pendingAudio = null
      if (pending && data instanceof Blob) {
        const blob = data.type ? data : new Blob([data], { type: pending.contentType })
        this.deliver({ type: 'audio', ...pending, data: blob })
      }
      return
    }
    let frame: Frame
    try {
      frame = JSON.parse(data) as Frame
    } catch {
      return
    }
    if (frame.type === 'audio') {
      this.pendingAudio = {
        index: Number(frame.index ?? 0),
        text: String(frame.text ?? ''),
        contentType: String(frame.contentType ?? 'audio/wav'),
      }
      return
    }
    if (frame.type === 'pong') return
    const event = toReplyEvent(String(frame.type), frame)
    if (event) this.deliver(event)
  }

  private deliver(event: ReplyEvent): void {
    const emit = this.emit
    emit?.(event)
    if (event.type === 'message' || event.type === 'stopped' || event.type === 'error') {
      this.emit = null
      const finish = this.finish
      this.finish = null
      finish?.()
    }
  }

  private begin(emit: Emit): { handle: ReplyHandle; socket: () => WebSocket | null } {
    const done = new Promise<void>((resolve) => {
      this.finish = resolve
    })
    this.emit = emit
    return {
      handle: {
        stop: () => this.socket?.send(JSON.stringify({ type: 'stop' })),
        done,
      },
      socket: () => this.socket,
    }
  }

  /** Send a typed message on an open socket. */
  async send(content: string, emit: Emit): Promise<ReplyHandle> {
    const socket = await this.open()
    if (socket.readyState !== WebSocket.OPEN) throw new Error('WebSocket closed')
    const { handle } = this.begin(emit)
    socket.send(JSON.stringify({ type: 'message', content }))
    return handle
  }

  /** Send a recording (one file) as a voice message; the reply comes spoken too. */
  async sendVoice(recording: Blob, emit: Emit, replyFormat: 'wav' | 'ogg' = 'ogg'): Promise<ReplyHandle> {
    const socket = await this.open()
    const { handle } = this.begin(emit)
    socket.send(JSON.stringify({ type: 'voice.start', format: replyFormat }))
    const CHUNK = 64 * 1024
    for (let start = 0; start < recording.size; start += CHUNK) {
      socket.send(recording.slice(start, start + CHUNK))
    }
    socket.send(JSON.stringify({ type: 'voice.end' }))
    return handle
  }

  close(): void {
    this.emit = null
    this.socket?.close()
    this.socket = null
  }
}

/** Start a reply on the socket; when the socket cannot be opened, or closes (or refuses
 *  the token) before the first frame of the reply, start it the other way instead. */
export async function withFallback(
  overSocket: ((emit: Emit) => Promise<ReplyHandle>) | null,
  otherwise: (emit: Emit) => ReplyHandle | Promise<ReplyHandle>,
  emit: Emit,
): Promise<ReplyHandle & { transport: 'websocket' | 'fallback' }> {
  if (overSocket && typeof WebSocket !== 'undefined') {
    let answered = false
    let fallback: Promise<ReplyHandle> | null = null
    try {
      const handle = await overSocket((event) => {
        const lost = event.type === 'error' && (event.code === 'socket_closed' || event.code === 'unauthorized')
        if (lost && !answered) {
          fallback = Promise.resolve(otherwise(emit))
          return
        }
        answered = true
        emit(event)
      })
      return {
        stop: () => {
          if (fallback) void fallback.then((h) => h.stop())
          else handle.stop()
        },
        done: handle.done.then(async () => {
          const other = fallback as Promise<ReplyHandle> | null
          if (other) await (await other).done
        }),
        transport: 'websocket',
      }
    } catch {
      // fall through
    }
  }
  return { ...(await otherwise(emit)), transport: 'fallback' }
}

/** Send over the WebSocket, falling back to SSE (see withFallback). */
export async function sendMessage(
  socket: ChatSocket | null,
  chatId: string,
  content: string,
  emit: Emit,
): Promise<ReplyHandle & { transport: 'websocket' | 'sse' }> {
  const handle = await withFallback(
    socket ? (e) => socket.send(content, e) : null,
    (e) => streamOverSse(chatId, content, e),
    emit,
  )
  return { ...handle, transport: handle.transport === 'websocket' ? 'websocket' : 'sse' }
}
