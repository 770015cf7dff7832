// The one HTTP client: bearer token from memory, the refresh cookie for sessions.
import type { ApiErrorBody, Tokens } from './types'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  /** Seconds from a Retry-After header (429), when the server sent one. */
  readonly retryAfter: number | null

  constructor(status: number, code: string, message: string, details: unknown, retryAfter: number | null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.retryAfter = retryAfter
  }
}

/** Sent with every token-issuing request: the server keeps the refresh token in an
 *  HttpOnly cookie (Path=/api/auth) and answers refreshToken: null. */
export const REFRESH_COOKIE_HEADER = { 'X-Refresh-Cookie': '1' } as const

type Listener = (tokens: Tokens | null) => void

let access: Tokens | null = null
let refreshTimer: ReturnType<typeof setTimeout> | null = null
let refreshing: Promise<Tokens | null> | null = null
const listeners = new Set<Listener>()

export function accessToken(): string | null {
  return access?.accessToken ?? null
}

export function currentTokens(): Tokens | null {
  return access
}

export function onTokens(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Keep the access token in memory only (never in storage) and refresh it before it expires. */
export function setTokens(tokens: Tokens | null): void {
  access = tokens ? { ...tokens, refreshToken: null } : null
  if (refreshTimer) clearTimeout(refreshTimer)
  refreshTimer = null
  if (tokens && tokens.expiresIn > 0) {
    const lead = Math.min(60, Math.floor(tokens.expiresIn / 5))
    const ms = Math.max(5, tokens.expiresIn - lead) * 1000
    refreshTimer = setTimeout(() => void refreshSession(), ms)
  }
  for (const listener of listeners) listener(access)
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status
  let message = response.statusText || 'Request failed'
  let details: unknown = null
  try {
    const body = (await response.json()) as ApiErrorBody
    if (body && body.error) {
      code = body.error.code
      message = body.error.message
      details = body.error.details
    }
  } catch {
    // not JSON: keep the status line
  }
  const retry = response.headers.get('Retry-After')
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : null
  return new ApiError(response.status, code, message, details, retryAfter)
}

/** Resume or extend the session through the refresh cookie; null when there is none.
 *  Concurrent callers share one request (the server rotates the token on each). */
export function refreshSession(): Promise<Tokens | null> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { ...REFRESH_COOKIE_HEADER },
          credentials: 'same-origin',
        })
        if (!response.ok) {
          setTokens(null)
          return null
        }
        const tokens = (await response.json()) as Tokens
        setTokens(tokens)
        return tokens
      } catch {
        return null
      } finally {
        refreshing = null
      }
    })()
  }
  return refreshing
}

export interface RequestOptions {
  method?: string
  /** JSON body (objects) or a FormData / Blob sent as is. */
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Send the bearer token (default true). */
  auth?: boolean
  /** Return the Response instead of parsing JSON. */
  raw?: boolean
}

export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, signal, auth = true, raw = false } = options
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = { ...options.headers }
    let payload: BodyInit | undefined
    if (body instanceof FormData || body instanceof Blob) payload = body
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    const token = accessToken()
    if (auth && token) headers.Authorization = `Bearer ${token}`
    return fetch(path, { method, headers, body: payload, signal, credentials: 'same-origin' })
  }
  let response = await send()
  if (response.status === 401 && auth && accessToken()) {
    const renewed = await refreshSession()
    if (renewed) response = await send()
  }
  if (!response.ok) throw await errorFrom(response)
  if (raw) return response as unknown as T
  if (response.status === 204) return undefined as T
  const type = response.headers.get('Content-Type') ?? ''
  return (type.includes('json') ? await response.json() : await response.text()) as T
}

/** A token-issuing call (register, login, pin-login, qr-login, guest): cookie mode.
 *  `before` runs with the new token before anyone else sees it (first settings). */
export async function issueTokens(
  path: string,
  body?: unknown,
  before?: (tokens: Tokens) => Promise<void>,
): Promise<Tokens> {
  const tokens = await request<Tokens>(path, {
    method: 'POST',
    body,
    headers: { ...REFRESH_COOKIE_HEADER },
  })
  if (before) {
    try {
      await before(tokens)
    } catch {
      // first settings are a convenience; the sign-in stands
    }
  }
  setTokens(tokens)
  return tokens
}

export async function logout(): Promise<void> {
  const token = accessToken()
  try {
    await fetch('/api/auth/logout', {
      method: 'POST',
      headers: { ...REFRESH_COOKIE_HEADER, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      credentials: 'same-origin',
    })
  } finally {
    setTokens(null)
  }
}

/** For tests: forget everything held in memory. */
export function resetClientForTests(): void {
  if (refreshTimer) clearTimeout(refreshTimer)
  refreshTimer = null
  refreshing = null
  access = null
  listeners.clear()
}
