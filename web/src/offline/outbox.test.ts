import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { QueryClient } from '@tanstack/react-query'
import { resetClientForTests, setTokens } from '../api/client'
import { deleteEverything } from './db'
import { describeDeviceStorage, forgetDevice, rememberOwner } from './device'
import { discard, flush, pending, postCreating, QueuedOffline } from './outbox'
import { keepReads, restoreReads } from './reads'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const tokens = (userId: string) => ({ accessToken: `token-${userId}`, refreshToken: null, tokenType: 'bearer' as const, expiresIn: 900, userId, role: 'user' })
const ENTRY = { text: 'A quiet day by the river.', date: '2026-05-01', mood: 6, tags: ['calm'] }

type Init = RequestInit & { headers: Record<string, string> }
const keyOf = (call: unknown[]) => (call[1] as Init).headers['Idempotency-Key']
const posts = (fetchMock: ReturnType<typeof vi.fn>) => fetchMock.mock.calls.filter((call) => (call[1] as Init | undefined)?.method === 'POST')

function goOffline(offline: boolean) {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(!offline)
}

async function queuedWhile(work: Promise<unknown>): Promise<QueuedOffline> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(QueuedOffline)
  return error as QueuedOffline
}

describe('the outbox', () => {
  beforeEach(async () => {
    resetClientForTests()
    localStorage.clear()
    await deleteEverything()
    goOffline(false)
    setTokens(tokens('u1'))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('online, a write goes at once with an Idempotency-Key and nothing waits', async () => {
    const fetchMock = vi.fn(async () => json({ id: 'e1', ...ENTRY }, 201))
    vi.stubGlobal('fetch', fetchMock)
    expect(await postCreating('/api/diary', ENTRY)).toEqual({ id: 'e1', ...ENTRY })
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, Init]
    expect(url).toBe('/api/diary')
    expect(init.method).toBe('POST')
    expect(JSON.parse(init.body as string)).toEqual(ENTRY)
    expect(init.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(init.headers.Authorization).toBe('Bearer token-u1')
    expect(await pending()).toEqual([])
  })

  it('offline, a write waits on the device without a request, then goes once with its key', async () => {
    const fetchMock = vi.fn(async () => json({ id: 'e1', ...ENTRY }, 201))
    vi.stubGlobal('fetch', fetchMock)
    goOffline(true)
    const queued = await queuedWhile(postCreating('/api/diary', ENTRY))
    expect(fetchMock).not.toHaveBeenCalled()
    expect(queued.item).toMatchObject({ owner: 'u1', path: '/api/diary', body: ENTRY, state: 'waiting' })
    expect((await pending('/api/diary')).map((item) => item.key)).toEqual([queued.item.key])
    expect(await pending('/api/mood')).toEqual([])

    expect(await flush()).toEqual({ sent: 0, waiting: 1, rejected: 0 }) // still offline
    goOffline(false)
    expect(await flush()).toEqual({ sent: 1, waiting: 0, rejected: 0 })
    expect(posts(fetchMock).map(keyOf)).toEqual([queued.item.key])
    expect(await pending()).toEqual([])
    expect(await flush()).toEqual({ sent: 0, waiting: 0, rejected: 0 })
    expect(posts(fetchMock)).toHaveLength(1)
  })

  it('a write whose answer was lost waits with the key it was sent with, and is sent again with it', async () => {
    const fetchMock = vi.fn(async (): Promise<Response> => {
      throw new TypeError('Failed to fetch')
    })
    vi.stubGlobal('fetch', fetchMock)
    const queued = await queuedWhile(postCreating('/api/mood', { score: 4 }))
    const tried = keyOf(fetchMock.mock.calls[0])
    expect(queued.item.key).toBe(tried)

    expect(await flush()).toEqual({ sent: 0, waiting: 1, rejected: 0 })
    fetchMock.mockImplementation(async () => json({ error: { code: 'unavailable', message: 'busy', details: null } }, 503))
    expect(await flush()).toEqual({ sent: 0, waiting: 1, rejected: 0 })
    fetchMock.mockImplementation(async () => json({ error: { code: 'idempotency_in_progress', message: 'wait', details: null } }, 409))
    expect(await flush()).toEqual({ sent: 0, waiting: 1, rejected: 0 })
    fetchMock.mockImplementation(async () => json({ id: 'm1', score: 4 }, 201))
    expect(await flush()).toEqual({ sent: 1, waiting: 0, rejected: 0 })
    expect(new Set(posts(fetchMock).map(keyOf))).toEqual(new Set([tried]))
  })

  it('a refused write is kept as refused, not sent again, until it is discarded', async () => {
    goOffline(true)
    const queued = await queuedWhile(postCreating('/api/diary', { ...ENTRY, date: 'someday' }))
    goOffline(false)
    const fetchMock = vi.fn(async () => json({ error: { code: 'validation_error', message: 'Request is invalid', details: [] } }, 422))
    vi.stubGlobal('fetch', fetchMock)
    expect(await flush()).toEqual({ sent: 0, waiting: 0, rejected: 1 })
    expect(await pending()).toMatchObject([{ key: queued.item.key, state: 'rejected', error: 'Request is invalid' }])
    expect(await flush()).toEqual({ sent: 0, waiting: 0, rejected: 1 })
    expect(fetchMock).toHaveBeenCalledTimes(1)
    await discard(queued.item.key)
    expect(await pending()).toEqual([])
  })

  it('other validation errors are the caller’s, online: nothing waits', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'validation_error', message: 'bad', details: [] } }, 422)))
    await expect(postCreating('/api/diary', {})).rejects.toMatchObject({ status: 422 })
    expect(await pending()).toEqual([])
  })

  it('what one person left waiting is sent only in their session', async () => {
    goOffline(true)
    await queuedWhile(postCreating('/api/diary', ENTRY))
    goOffline(false)
    setTokens(tokens('u2'))
    const fetchMock = vi.fn(async () => json({ id: 'x' }, 201))
    vi.stubGlobal('fetch', fetchMock)
    expect(await pending()).toEqual([])
    expect(await flush()).toEqual({ sent: 0, waiting: 0, rejected: 0 })
    expect(fetchMock).not.toHaveBeenCalled()
    setTokens(tokens('u1'))
    expect((await flush()).sent).toBe(1)
  })

  it('with no session yet (opened offline), a write waits for the person remembered here', async () => {
    await rememberOwner('u1', 'user')
    setTokens(null)
    const fetchMock = vi.fn(async () => json({}, 201))
    vi.stubGlobal('fetch', fetchMock)
    const queued = await queuedWhile(postCreating('/api/diary', ENTRY))
    expect(queued.item.owner).toBe('u1')
    expect(fetchMock).not.toHaveBeenCalled()
    expect(await flush()).toEqual({ sent: 0, waiting: 0, rejected: 0 }) // no session: nothing goes
  })

  it('signed out and offline, nothing can wait: the failure is the caller’s', async () => {
    setTokens(null)
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(postCreating('/api/diary', ENTRY)).rejects.toBeInstanceOf(TypeError)
  })

  it('two flushes at once send each write once', async () => {
    goOffline(true)
    await queuedWhile(postCreating('/api/diary', ENTRY))
    await queuedWhile(postCreating('/api/diary', { ...ENTRY, text: 'Second.' }))
    goOffline(false)
    const fetchMock = vi.fn(async () => json({ id: 'x' }, 201))
    vi.stubGlobal('fetch', fetchMock)
    const [a, b] = await Promise.all([flush(), flush()])
    expect(a).toEqual({ sent: 2, waiting: 0, rejected: 0 })
    expect(b).toBe(a)
    const bodies = posts(fetchMock).map((call) => JSON.parse((call[1] as Init).body as string).text)
    expect(bodies).toEqual([ENTRY.text, 'Second.']) // oldest first
  })
})

describe('what the device keeps', () => {
  beforeEach(async () => {
    resetClientForTests()
    localStorage.clear()
    await deleteEverything()
    setTokens(tokens('u1'))
    goOffline(false)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('reads of the kept queries are put back in a new session, only for their owner', async () => {
    const before = new QueryClient()
    const stop = keepReads(before, 'u1')
    await before.fetchQuery({ queryKey: ['diary'], queryFn: async () => ({ items: [{ id: 'e1' }], nextCursor: null }) })
    await before.fetchQuery({ queryKey: ['models'], queryFn: async () => ['not kept'] })
    stop()
    await vi.waitFor(async () => expect((await describeDeviceStorage()).stores.find((s) => s.name === 'reads')?.count).toBe(1))

    const after = new QueryClient()
    expect(await restoreReads(after, 'u2')).toBe(0)
    expect(await restoreReads(after, 'u1')).toBe(1)
    expect(after.getQueryData(['diary'])).toEqual({ items: [{ id: 'e1' }], nextCursor: null })
    expect(after.getQueryData(['models'])).toBeUndefined()
  })

  it('describes its stores with counts, and forgets everything on sign-out', async () => {
    await rememberOwner('u1', 'user')
    goOffline(true)
    await queuedWhile(postCreating('/api/diary', ENTRY))
    await queuedWhile(postCreating('/api/mood', { score: 3 }))
    localStorage.setItem('confidant.theme', 'dark')
    const described = await describeDeviceStorage()
    expect(described.stores).toEqual([
      { name: 'outbox', labelKey: 'offline.storage.outbox', count: 2 },
      { name: 'reads', labelKey: 'offline.storage.reads', count: 0 },
      { name: 'device', labelKey: 'offline.storage.device', count: 1 },
    ])
    expect(described.localStorageKeys).toContain('confidant.theme')

    await forgetDevice()
    const cleared = await describeDeviceStorage()
    expect(cleared.stores.map((s) => s.count)).toEqual([0, 0, 0])
    expect(await pending()).toEqual([])
  })

  it('when someone else signs in here, the last person’s reads go', async () => {
    await rememberOwner('u1', 'user')
    const client = new QueryClient()
    const stop = keepReads(client, 'u1')
    await client.fetchQuery({ queryKey: ['chats'], queryFn: async () => ({ items: [], nextCursor: null }) })
    stop()
    await vi.waitFor(async () => expect((await describeDeviceStorage()).stores[1].count).toBe(1))
    await rememberOwner('u2', 'user')
    expect((await describeDeviceStorage()).stores[1].count).toBe(0)
  })
})
