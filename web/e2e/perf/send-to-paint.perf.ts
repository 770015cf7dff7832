// Send → first reply text painted, against the API's own time to first delta, measured
// in the same run from the same browser (issue 18, Performance). Run by bench/web.py
// (PERF_BASE_URL: a real `confidant serve` with the bundled model); not part of make test.
//
// Three chats of one guest move in lockstep, so each sees the same history length:
//   A: the web client. A message is typed, performance.now() is taken in a capture-phase
//      click listener on Send, and a MutationObserver on the conversation log takes the
//      moment the live reply first shows streamed text; a requestAnimationFrame callback
//      then posts a MessageChannel message, which runs after that frame is painted:
//      that is the paint time. An init script also notes when the page's own WebSocket
//      sent the message (ws.send) and received the turn's first `delta` frame, which
//      splits send → paint into the client before the socket, the server and the
//      network, and the client after the frame.
//   B: the API over WebSocket (the transport the client uses), from the page itself:
//      performance.now() before ws.send(message) to the first `delta` frame.
//   C: the API over SSE (POST /api/messages, fetch with a stream reader), to the first
//      `event: delta`; for reference, the client's fallback transport.
// The order of A, B and C rotates each turn. The results go to PERF_OUT as JSON;
// bench/web.py computes and prints the p50s.
import { expect, test, type Page } from '@playwright/test'
import { writeFileSync } from 'node:fs'

const TURNS = Number(process.env.PERF_TURNS ?? 20)
const WARMUP = Number(process.env.PERF_WARMUP ?? 2)
const OUT = process.env.PERF_OUT
// A pause after each reply, so the job the server queues for it (indexing the message)
// is done before the next one is timed.
const SETTLE_MS = Number(process.env.PERF_SETTLE_MS ?? 500)
const THINKING = 'Thinking…' // the live reply's placeholder before the first delta (en)
const PROMPTS = [
  'Hello, I had a long day at work today.',
  'I slept badly again and I feel anxious about tomorrow.',
  'I went for a walk in the park and it helped a little.',
  'My friend called me and we talked for an hour.',
  'I am trying to drink more water and go to bed earlier.',
]

interface PerfState {
  chatId: string
  armed: boolean
  before: number
  clickAt: number | null
  sentAt: number | null
  frameAt: number | null
  mutationAt: number | null
  rafAt: number | null
  paintAt: number | null
  text: string | null
  longTasks: [number, number][]
}

declare global {
  interface Window {
    __perf?: PerfState
    __benchSocket?: WebSocket
  }
}

interface UiTurn {
  sendToPaint: number
  sendToMutation: number
  sendToRaf: number
  sendToSocket: number | null
  socketToFrame: number | null
  sendToFrame: number | null
  frameToPaint: number | null
  longTaskMsBeforeFrame: number | null
  firstText: string
}

interface Turn {
  index: number
  warmup: boolean
  prompt: string
  order: string[]
  ui: UiTurn
  wsTtfd: number
  sseTtfd: number
}

/** Before any page script: note when the client's chat socket gets a turn's first delta. */
function recordSocketFrames(): void {
  const Native = window.WebSocket
  class Recorded extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      this.addEventListener('message', (event: MessageEvent) => {
        const state = window.__perf
        if (!state || !state.armed || state.frameAt !== null || typeof event.data !== 'string') return
        if (!this.url.endsWith(`/ws/chats/${state.chatId}`)) return
        if (event.data.includes('"type":"delta"')) state.frameAt = performance.now()
      })
    }

    send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const state = window.__perf
      if (state?.armed && state.sentAt === null && this.url.endsWith(`/ws/chats/${state.chatId}`)) state.sentAt = performance.now()
      super.send(data)
    }
  }
  window.WebSocket = Recorded
}

/** In the page, once the chat is shown: the Send listener and the log observer. */
function installObserver(args: { chatId: string; thinking: string }): void {
  const state: PerfState = {
    chatId: args.chatId,
    armed: false,
    before: 0,
    clickAt: null,
    sentAt: null,
    frameAt: null,
    mutationAt: null,
    rafAt: null,
    paintAt: null,
    text: null,
    longTasks: [],
  }
  window.__perf = state
  // main-thread tasks over 50 ms while armed: a busy page would delay the socket's events
  new PerformanceObserver((list) => {
    if (!state.armed) return
    for (const entry of list.getEntries()) state.longTasks.push([entry.startTime, entry.duration])
  }).observe({ type: 'longtask' })
  document.addEventListener(
    'click',
    (event) => {
      const button = (event.target as Element | null)?.closest('button')
      if (state.armed && state.clickAt === null && button?.textContent?.trim() === 'Send') state.clickAt = performance.now()
    },
    true,
  )
  const log = document.querySelector('[role="log"]')
  if (!log) throw new Error('no conversation log')
  const observer = new MutationObserver(() => {
    if (!state.armed || state.clickAt === null || state.mutationAt !== null) return
    const replies = log.querySelectorAll('article[aria-label="Confidant"]')
    if (replies.length <= state.before) return
    const paragraph = replies[replies.length - 1].querySelector('p.whitespace-pre-wrap')
    const text = (paragraph?.textContent ?? '').replace('▍', '')
    if (!text || text === args.thinking) return
    state.mutationAt = performance.now()
    state.text = text
    requestAnimationFrame(() => {
      state.rafAt = performance.now()
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        state.paintAt = performance.now()
      }
      channel.port2.postMessage(null)
    })
  })
  observer.observe(log, { childList: true, subtree: true, characterData: true })
}

async function uiTurn(page: Page, prompt: string): Promise<UiTurn> {
  const box = page.getByRole('textbox', { name: 'Message' })
  await box.fill(prompt)
  await page.evaluate(() => {
    const state = window.__perf!
    state.before = document.querySelectorAll('[role="log"] article[aria-label="Confidant"]').length
    state.clickAt = state.sentAt = state.frameAt = state.mutationAt = state.rafAt = state.paintAt = null
    state.text = null
    state.longTasks = []
    state.armed = true
  })
  await page.getByRole('button', { name: 'Send' }).click()
  await page.waitForFunction(() => window.__perf?.paintAt != null, null, { timeout: 120_000 })
  // let the reply finish before the next turn
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible({ timeout: 120_000 })
  const s = await page.evaluate(() => {
    const state = window.__perf!
    state.armed = false
    return { ...state }
  })
  const click = s.clickAt!
  return {
    sendToPaint: s.paintAt! - click,
    sendToMutation: s.mutationAt! - click,
    sendToRaf: s.rafAt! - click,
    sendToSocket: s.sentAt === null ? null : s.sentAt - click,
    socketToFrame: s.sentAt === null || s.frameAt === null ? null : s.frameAt - s.sentAt,
    sendToFrame: s.frameAt === null ? null : s.frameAt - click,
    frameToPaint: s.frameAt === null ? null : s.paintAt! - s.frameAt,
    longTaskMsBeforeFrame:
      s.frameAt === null
        ? null
        : s.longTasks
            .map(([start, duration]) => Math.max(0, Math.min(start + duration, s.frameAt!) - Math.max(start, click)))
            .reduce((a, b) => a + b, 0),
    firstText: s.text ?? '',
  }
}

async function openApiSocket(page: Page, chatId: string, token: string): Promise<void> {
  await page.evaluate(
    ({ chatId, token }) =>
      new Promise<void>((resolve, reject) => {
        const { protocol, host } = window.location
        const socket = new WebSocket(`${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/ws/chats/${chatId}`, ['bearer', token])
        socket.onopen = () => {
          window.__benchSocket = socket
          resolve()
        }
        socket.onerror = () => reject(new Error('bench WebSocket failed'))
      }),
    { chatId, token },
  )
}

/** The API over WebSocket: ws.send(message) → first delta frame, in ms. */
async function wsTtfd(page: Page, content: string): Promise<number> {
  return page.evaluate(
    (content) =>
      new Promise<number>((resolve, reject) => {
        const socket = window.__benchSocket!
        let first: number | null = null
        socket.onmessage = (event: MessageEvent) => {
          if (typeof event.data !== 'string') return
          const frame = JSON.parse(event.data) as { type?: string }
          if (frame.type === 'delta' && first === null) first = performance.now()
          else if (frame.type === 'message' || frame.type === 'stopped') {
            socket.onmessage = null
            if (first === null) reject(new Error(`no delta before ${frame.type}`))
            else resolve(first - start)
          } else if (frame.type === 'error') reject(new Error(`bench WebSocket: ${event.data}`))
        }
        const start = performance.now()
        socket.send(JSON.stringify({ type: 'message', content }))
      }),
    content,
  )
}

/** The API over SSE: fetch POST /api/messages → first `event: delta`, in ms. */
async function sseTtfd(page: Page, chatId: string, token: string, content: string): Promise<number> {
  return page.evaluate(
    async ({ chatId, token, content }) => {
      const start = performance.now()
      const response = await fetch('/api/messages', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ chatId, content }),
      })
      if (!response.ok || !response.body) throw new Error(`SSE: HTTP ${response.status}`)
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      let first: number | null = null
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        if (first === null) {
          buffer += value
          if (/(^|\n)event: delta/.test(buffer)) first = performance.now()
          else if (/(^|\n)event: error/.test(buffer)) throw new Error(`SSE: ${buffer}`)
        }
      }
      if (first === null) throw new Error('SSE: no delta')
      return first - start
    },
    { chatId, token, content },
  )
}

async function createChat(page: Page, token: string, title: string): Promise<string> {
  return page.evaluate(
    async ({ token, title }) => {
      const response = await fetch('/api/chats', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ title }),
      })
      if (!response.ok) throw new Error(`POST /api/chats: HTTP ${response.status} ${await response.text()}`)
      return ((await response.json()) as { id: string }).id
    },
    { token, title },
  )
}

test('send → first reply text painted, against the API time to first delta', async ({ page }) => {
  const sockets: string[] = []
  page.on('websocket', (ws) => sockets.push(ws.url()))
  await page.addInitScript(recordSocketFrames)
  await page.goto('/')
  const guest = page.waitForResponse((r) => r.url().endsWith('/api/auth/guest') && r.request().method() === 'POST')
  await page.getByRole('button', { name: 'Continue as guest' }).click()
  const token = ((await (await guest).json()) as { accessToken: string }).accessToken
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  await expect(page.getByRole('log', { name: 'Conversation' })).toBeVisible()
  const uiChat = new URL(page.url()).pathname.split('/').pop()!
  await page.evaluate(installObserver, { chatId: uiChat, thinking: THINKING })
  const wsChat = await createChat(page, token, 'bench: API over WebSocket')
  const sseChat = await createChat(page, token, 'bench: API over SSE')
  await openApiSocket(page, wsChat, token)

  const turns: Turn[] = []
  // Written after every turn, so a run cut short still leaves what it measured.
  const save = (complete: boolean) => {
    const clientSocket = sockets.filter((url) => url.endsWith(`/ws/chats/${uiChat}`)).length
    const result = {
      complete,
      turns,
      warmup: WARMUP,
      settleMs: SETTLE_MS,
      clientTransport: clientSocket > 0 ? 'websocket' : 'sse',
      sockets,
    }
    if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 2))
  }
  const kinds = ['ui', 'ws', 'sse']
  for (let index = 0; index < WARMUP + TURNS; index++) {
    const prompt = PROMPTS[index % PROMPTS.length]
    const order = [...kinds.slice(index % 3), ...kinds.slice(0, index % 3)]
    let ui: UiTurn | null = null
    let ws = NaN
    let sse = NaN
    for (const kind of order) {
      if (kind === 'ui') ui = await uiTurn(page, prompt)
      else if (kind === 'ws') ws = await wsTtfd(page, prompt)
      else sse = await sseTtfd(page, sseChat, token, prompt)
      await page.waitForTimeout(SETTLE_MS)
    }
    turns.push({ index, warmup: index < WARMUP, prompt, order, ui: ui!, wsTtfd: ws, sseTtfd: sse })
    save(false)
    console.log(
      `turn ${index}${index < WARMUP ? ' (warm-up)' : ''}: send→paint ${ui!.sendToPaint.toFixed(1)} ms, ` +
        `API TTFD ws ${ws.toFixed(1)} ms, sse ${sse.toFixed(1)} ms`,
    )
  }
  save(true)
  expect(turns.length).toBe(WARMUP + TURNS)
})
