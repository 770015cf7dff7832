import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, accessToken, issueTokens, logout, refreshSession, request, resetClientForTests, setTokens } from './client'

const tokens = (access: string) => ({ accessToken: access, refreshToken: null, tokenType: 'bearer' as const, expiresIn: 900, userId: 'u1', role: 'user' })
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

type Call = [string, RequestInit]

describe('API client and session', () => {
  beforeEach(() => {
    resetClientForTests()
    localStorage.clear()
  })
  afterEach(() => vi.unstubAllGlobals())

  it('resumes the session with POST /api/auth/refresh, the cookie header and no body', async () => {
    const fetchMock = vi.fn(async () => json(tokens('fresh')))
    vi.stubGlobal('fetch', fetchMock)
    const resumed = await refreshSession()
    expect(resumed?.accessToken).toBe('fresh')
    const [url, init] = fetchMock.mock.calls[0] as unknown as Call
    expect(url).toBe('/api/auth/refresh')
    expect(init.method).toBe('POST')
    expect(init.body).toBeUndefined()
    expect((init.headers as Record<string, string>)['X-Refresh-Cookie']).toBe('1')
    expect(init.credentials).toBe('same-origin')
    expect(accessToken()).toBe('fresh')
  })

  it('without a cookie the session stays signed out', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'unauthorized', message: 'no', details: null } }, 401)))
    expect(await refreshSession()).toBeNull()
    expect(accessToken()).toBeNull()
  })

  it('the access token stays in memory: nothing is written to storage, and a refresh token in the answer is dropped', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ ...tokens('a'), refreshToken: 'should-not-keep' })))
    const issued = await issueTokens('/api/auth/login', { email: 'e@example.com', password: 'p' })
    expect(issued.accessToken).toBe('a')
    expect(localStorage.length).toBe(0)
    expect(sessionStorage.length).toBe(0)
    expect(document.cookie).not.toContain('a')
  })

  it('every token-issuing call sends X-Refresh-Cookie: 1', async () => {
    const fetchMock = vi.fn(async () => json(tokens('a'), 201))
    vi.stubGlobal('fetch', fetchMock)
    for (const path of ['/api/auth/guest', '/api/auth/register', '/api/auth/login', '/api/auth/pin-login', '/api/auth/qr-login']) {
      await issueTokens(path, path.endsWith('guest') ? undefined : {})
    }
    for (const call of fetchMock.mock.calls as unknown as Call[]) {
      expect((call[1].headers as Record<string, string>)['X-Refresh-Cookie']).toBe('1')
    }
  })

  it('a 401 refreshes once and retries with the new token; concurrent 401s share one refresh', async () => {
    setTokens(tokens('old'))
    let refreshes = 0
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/auth/refresh') {
        refreshes += 1
        await new Promise((r) => setTimeout(r, 10))
        return json(tokens('new'))
      }
      const auth = (init.headers as Record<string, string>).Authorization
      return auth === 'Bearer new' ? json({ ok: url }) : json({ error: { code: 'unauthorized', message: 'expired', details: null } }, 401)
    })
    vi.stubGlobal('fetch', fetchMock)
    const [a, b] = await Promise.all([request<{ ok: string }>('/api/chats'), request<{ ok: string }>('/api/users/me')])
    expect(a.ok).toBe('/api/chats')
    expect(b.ok).toBe('/api/users/me')
    expect(refreshes).toBe(1)
  })

  it('errors keep the code, message and Retry-After', async () => {
    setTokens(tokens('a'))
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ error: { code: 'too_many_requests', message: 'PIN sign-in is locked for this account', details: null } }, 429, { 'Retry-After': '900' })),
    )
    const error = await request('/api/auth/pin-login', { method: 'POST', body: {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 429, code: 'too_many_requests', retryAfter: 900 })
  })

  it('logout posts with the cookie header and no body, and forgets the token', async () => {
    setTokens(tokens('a'))
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }))
    vi.stubGlobal('fetch', fetchMock)
    await logout()
    const [url, init] = fetchMock.mock.calls[0] as unknown as Call
    expect(url).toBe('/api/auth/logout')
    expect(init.body).toBeUndefined()
    expect((init.headers as Record<string, string>)['X-Refresh-Cookie']).toBe('1')
    expect(accessToken()).toBeNull()
  })

  it('refreshes the access token by itself before it expires', async () => {
    vi.useFakeTimers()
    try {
      const fetchMock = vi.fn(async () => json(tokens('renewed')))
      vi.stubGlobal('fetch', fetchMock)
      setTokens({ ...tokens('short'), expiresIn: 100 })
      await vi.advanceTimersByTimeAsync(79_000)
      expect(fetchMock).not.toHaveBeenCalled()
      await vi.advanceTimersByTimeAsync(2_000)
      expect(fetchMock).toHaveBeenCalledOnce()
      expect(accessToken()).toBe('renewed')
    } finally {
      vi.useRealTimers()
    }
  })
})
