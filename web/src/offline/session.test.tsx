import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { QueryClientProvider } from '@tanstack/react-query'
import '../i18n'
import { makeQueryClient } from '../App'
import { resetClientForTests } from '../api/client'
import { AuthProvider, useAuth } from '../auth/AuthProvider'
import { deleteEverything } from './db'
import { describeDeviceStorage, rememberOwner, signOutPending } from './device'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const TOKENS = { accessToken: 't', refreshToken: null, tokenType: 'bearer', expiresIn: 900, userId: 'u1', role: 'user' }

function Probe() {
  const auth = useAuth()
  return (
    <div>
      <p data-testid="status">{auth.status}</p>
      <p data-testid="offline">{String(auth.offline)}</p>
      <p data-testid="user">{auth.userId ?? ''}</p>
      <button onClick={() => void auth.logout()}>out</button>
    </div>
  )
}

function renderAuth() {
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <AuthProvider>
        <Probe />
      </AuthProvider>
    </QueryClientProvider>,
  )
}

const networkDown = vi.fn(async () => {
  throw new TypeError('Failed to fetch')
})

describe('the session without a network', () => {
  beforeEach(async () => {
    resetClientForTests()
    localStorage.clear()
    await deleteEverything()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('opens for the person last signed in here when the server cannot be reached', async () => {
    await rememberOwner('u1', 'guest')
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    vi.stubGlobal('fetch', networkDown)
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedIn'))
    expect(screen.getByTestId('offline')).toHaveTextContent('true')
    expect(screen.getByTestId('user')).toHaveTextContent('u1')
  })

  it('stays signed out when the server answers that the session has ended', async () => {
    await rememberOwner('u1', 'user')
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => (url === '/healthz' ? json({ status: 'ok' }) : json({ error: { code: 'unauthorized', message: 'no', details: null } }, 401))),
    )
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
  })

  it('with no one remembered here, offline is signed out', async () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    vi.stubGlobal('fetch', networkDown)
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
  })

  it('signing out forgets the device; offline, the next start finishes the sign-out before anything else', async () => {
    await rememberOwner('u1', 'user')
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    vi.stubGlobal('fetch', networkDown)
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedIn'))
    await userEvent.click(screen.getByRole('button', { name: 'out' }))
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
    expect((await describeDeviceStorage()).stores.every((store) => store.count === 0)).toBe(true)
    expect(signOutPending()).toBe(true)
  })

  it('a sign-out left pending is sent first, and the session is not resumed', async () => {
    localStorage.setItem('confidant.signOutPending', '1')
    const fetchMock = vi.fn(async (url: string) => (url === '/api/auth/refresh' ? json(TOKENS) : new Response(null, { status: 204 })))
    vi.stubGlobal('fetch', fetchMock)
    resetClientForTests()
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
    expect(fetchMock.mock.calls.map((call) => call[0])).toEqual(['/api/auth/logout'])
    expect(signOutPending()).toBe(false)
  })
})
