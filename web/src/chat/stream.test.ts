import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatSocket, SseParser, sendMessage, streamOverSse, toReplyEvent, type ReplyEvent } from './stream'
import { resetClientForTests, setTokens } from '../api/client'

const TOKENS = { accessToken: 'a1', refreshToken: null, tokenType: 'bearer' as const, expiresIn: 900, userId: 'u', role: 'guest' }

describe('SseParser', () => {
  it('parses events split anywhere, CRLF or LF, with comments and multi-line data', () => {
    const parser = new SseParser()
    const stream = ': keep-alive\r\nevent: delta\r\ndata: {"content":"He"}\r\n\r\nevent: delta\ndata: {"content":"llo"}\n\nevent: note\ndata: one\ndata: two\n\n'
    const events = []
    for (let i = 0; i < stream.length; i += 7) events.push(...parser.push(stream.slice(i, i + 7)))
    expect(events).toEqual([
      { event: 'delta', data: '{"content":"He"}' },
      { event: 'delta', data: '{"content":"llo"}' },
      { event: 'note', data: 'one\ntwo' },
    ])
  })

  it('waits for the blank line before giving an event', () => {
    const parser = new SseParser()
    expect(parser.push('event: delta\ndata: {}\n')).toEqual([])
    expect(parser.push('\n')).toEqual([{ event: 'delta', data: '{}' }])
  })
})

describe('toReplyEvent', () => {
  it('reads sources as SSE sends them (a list) and as the socket does ({sources})', () => {
    const source = { entryId: 'e', sourceType: 'diary', date: '2025-03-04', snippet: 's', highlights: [] }
    expect(toReplyEvent('sources', [source])).toEqual({ type: 'sources', sources: [source] })
    expect(toReplyEvent('sources', { type: 'sources', sources: [source] })).toEqual({ type: 'sources', sources: [source] })
  })

  it('splits the message frame into the stored reply and the crisis flag', () => {
    const event = toReplyEvent('message', { type: 'message', id: 'm', role: 'assistant', content: 'hi', crisis: true })
    expect(event).toEqual({ type: 'message', message: { id: 'm', role: 'assistant', content: 'hi' }, crisis: true, audio: null, userAudio: null })
  })

  it('reads the one error shape', () => {
    expect(toReplyEvent('error', { error: { code: 'model_unavailable', message: 'down', details: null } })).toEqual({
      type: 'error',
      code: 'model_unavailable',
      message: 'down',
      details: null,
    })
  })
})

function sseResponse(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder()
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
}

describe('streamOverSse', () => {
  beforeEach(() => {
    resetClientForTests()
    setTokens(TOKENS)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('posts the message with Accept: text/event-stream and emits crisis, sources, deltas, message in order', async () => {
    const fetchMock = vi.fn(async () =>
      sseResponse([
        'event: crisis\ndata: {"resources":"call 988","severity":"moderate"}\n\n',
        'event: sources\ndata: []\n\nevent: delta\ndata: {"content":"I am "}\n',
        '\nevent: delta\ndata: {"content":"here."}\n\nevent: message\ndata: {"id":"r","role":"assistant","content":"I am here.","crisis":true}\n\n',
      ]),
    )
    vi.stubGlobal('fetch', fetchMock)
    const events: ReplyEvent[] = []
    await streamOverSse('c1', 'hello', (e) => events.push(e)).done
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/messages')
    expect((init.headers as Record<string, string>).Accept).toBe('text/event-stream')
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer a1')
    expect(JSON.parse(init.body as string)).toEqual({ chatId: 'c1', content: 'hello' })
    expect(events.map((e) => e.type)).toEqual(['crisis', 'sources', 'delta', 'delta', 'message'])
    expect(events[0]).toMatchObject({ resources: 'call 988' })
  })

  it('turns an HTTP refusal into an error event with its code', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ error: { code: 'model_loading', message: 'loading', details: null } }), { status: 503 })),
    )
    const events: ReplyEvent[] = []
    await streamOverSse('c1', 'hello', (e) => events.push(e)).done
    expect(events).toEqual([{ type: 'error', code: 'model_loading', message: 'loading' }])
  })
})

class FakeSocket {
  static last: FakeSocket | null = null
  readyState = 0
  binaryType = 'blob'
  sent: unknown[] = []
  onopen: (() => void) | null = null
  onerror: (() => void) | null = null
  onclose: ((e: { code: number; reason: string }) => void) | null = null
  onmessage: ((e: { data: unknown }) => void) | null = null
  url: string
  protocols: string[]
  constructor(url: string, protocols: string[]) {
    this.url = url
    this.protocols = protocols
    FakeSocket.last = this
  }
  send(data: unknown) {
    this.sent.push(data)
  }
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  frame(data: unknown) {
    this.onmessage?.({ data: typeof data === 'string' || data instanceof Blob ? data : JSON.stringify(data) })
  }
}

describe('ChatSocket', () => {
  beforeEach(() => {
    resetClientForTests()
    setTokens(TOKENS)
    vi.stubGlobal('WebSocket', Object.assign(FakeSocket, { OPEN: 1 }))
  })
  afterEach(() => vi.unstubAllGlobals())

  const make = () => new ChatSocket('c1', { create: (url, protocols) => new FakeSocket(url, protocols) as unknown as WebSocket })

  it('authenticates with the bearer subprotocol, streams a reply and ends on the message frame', async () => {
    const socket = make()
    const events: ReplyEvent[] = []
    const sending = socket.send('hi', (e) => events.push(e))
    const fake = FakeSocket.last!
    expect(fake.url).toMatch(/\/ws\/chats\/c1$/)
    expect(fake.protocols).toEqual(['bearer', 'a1'])
    fake.open()
    const handle = await sending
    expect(JSON.parse(fake.sent[0] as string)).toEqual({ type: 'message', content: 'hi' })
    fake.frame({ type: 'delta', content: 'Hel' })
    fake.frame({ type: 'delta', content: 'lo' })
    handle.stop()
    expect(JSON.parse(fake.sent[1] as string)).toEqual({ type: 'stop' })
    fake.frame({ type: 'message', id: 'r', content: 'Hello', interrupted: true, crisis: false })
    await handle.done
    expect(events.map((e) => e.type)).toEqual(['delta', 'delta', 'message'])
    expect(events[2]).toMatchObject({ message: { interrupted: true } })
  })

  it('a voice message goes as voice.start, binary chunks, voice.end; audio frames pair with the next binary frame', async () => {
    const socket = make()
    const events: ReplyEvent[] = []
    const sending = socket.sendVoice(new Blob([new Uint8Array(100_000)], { type: 'audio/webm' }), (e) => events.push(e))
    FakeSocket.last!.open()
    const handle = await sending
    const fake = FakeSocket.last!
    expect(JSON.parse(fake.sent[0] as string)).toEqual({ type: 'voice.start', format: 'ogg' })
    expect(fake.sent.slice(1, -1).every((c) => c instanceof Blob)).toBe(true)
    expect((fake.sent.slice(1, -1) as Blob[]).reduce((n, b) => n + b.size, 0)).toBe(100_000)
    expect(JSON.parse(fake.sent.at(-1) as string)).toEqual({ type: 'voice.end' })
    fake.frame({ type: 'transcript', content: 'hello', message: { id: 'u', role: 'user', content: 'hello' } })
    fake.frame({ type: 'audio', index: 0, text: 'Hi.', contentType: 'audio/ogg', size: 3 })
    fake.frame(new Blob([new Uint8Array(3)]))
    fake.frame({ type: 'message', id: 'r', content: 'Hi.', crisis: false, audio: { id: 'a', url: '/api/voice/clips/a' } })
    await handle.done
    expect(events.map((e) => e.type)).toEqual(['transcript', 'audio', 'message'])
    expect(events[1]).toMatchObject({ index: 0, text: 'Hi.', contentType: 'audio/ogg' })
    expect(events[2]).toMatchObject({ audio: { id: 'a' } })
  })

  it('falls back to SSE when the socket cannot open', async () => {
    const socket = new ChatSocket('c1', {
      create: () => {
        throw new Error('blocked')
      },
    })
    const fetchMock = vi.fn(async () => sseResponse(['event: message\ndata: {"id":"r","content":"ok","crisis":false}\n\n']))
    vi.stubGlobal('fetch', fetchMock)
    const events: ReplyEvent[] = []
    const handle = await sendMessage(socket, 'c1', 'hi', (e) => events.push(e))
    await handle.done
    expect(handle.transport).toBe('sse')
    expect(fetchMock).toHaveBeenCalledOnce()
    expect(events.map((e) => e.type)).toEqual(['message'])
  })

  it('a socket that closes before the first frame: the message goes over SSE instead', async () => {
    const socket = make()
    const fetchMock = vi.fn(async () => sseResponse(['event: delta\ndata: {"content":"ok"}\n\nevent: message\ndata: {"id":"r","content":"ok","crisis":false}\n\n']))
    vi.stubGlobal('fetch', fetchMock)
    const events: ReplyEvent[] = []
    const sending = sendMessage(socket, 'c1', 'hi', (e) => events.push(e))
    FakeSocket.last!.open()
    await vi.waitFor(() => expect(FakeSocket.last!.sent).toHaveLength(1))
    FakeSocket.last!.onclose?.({ code: 1011, reason: 'gone' })
    const handle = await sending
    await handle.done
    expect(fetchMock).toHaveBeenCalledOnce()
    expect(events.map((e) => e.type)).toEqual(['delta', 'message'])
  })

  it('a socket closed mid-reply ends the reply with an error', async () => {
    const socket = make()
    const events: ReplyEvent[] = []
    const sending = socket.send('hi', (e) => events.push(e))
    FakeSocket.last!.open()
    const handle = await sending
    FakeSocket.last!.onclose?.({ code: 1006, reason: '' })
    await handle.done
    expect(events).toEqual([{ type: 'error', code: 'socket_closed', message: 'connection closed' }])
  })
})
