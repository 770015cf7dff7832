import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { QueryClientProvider } from '@tanstack/react-query'
import '../i18n'
import { makeQueryClient } from '../App'
import { resetClientForTests } from '../api/client'
import { AuthProvider, useAuth } from './AuthProvider'
import { rememberedAccounts } from './accounts'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const ME = {
  id: 'u1',
  role: 'user',
  profile: { name: 'Lan', email: 'lan@example.com', phone: null, avatarUrl: null },
  preferences: { theme: 'dark', notifications: true, language: 'vi', timeZone: 'UTC', rememberChats: true, autoFineTune: true },
  stats: {},
  medicalCard: {},
  createdAt: '2026-01-01T00:00:00Z',
}

function Probe() {
  const auth = useAuth()
  return (
    <div>
      <p data-testid="status">{auth.status}</p>
      <p data-testid="name">{auth.me?.profile.name ?? ''}</p>
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

describe('AuthProvider', () => {
  beforeEach(() => {
    resetClientForTests()
    localStorage.clear()
    document.documentElement.className = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('resumes through the refresh cookie, loads the person, applies their language and theme, remembers the account', async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url === '/api/auth/refresh') return json({ accessToken: 't', refreshToken: null, tokenType: 'bearer', expiresIn: 900, userId: 'u1', role: 'user' })
      if (url === '/api/users/me') return json(ME)
      return new Response(null, { status: 204 })
    })
    vi.stubGlobal('fetch', fetchMock)
    renderAuth()
    expect(screen.getByTestId('status')).toHaveTextContent('loading')
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedIn'))
    await waitFor(() => expect(screen.getByTestId('name')).toHaveTextContent('Lan'))
    await waitFor(() => expect(document.documentElement.lang).toBe('vi'))
    expect(document.documentElement.classList.contains('dark')).toBe(true)
    expect(rememberedAccounts()).toEqual([{ userId: 'u1', name: 'Lan', email: 'lan@example.com' }])
    await userEvent.click(screen.getByRole('button', { name: 'out' }))
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
    expect(fetchMock.mock.calls.map((c) => c[0])).toContain('/api/auth/logout')
  })

  it('without a refresh cookie: signed out, and nothing else is asked', async () => {
    const fetchMock = vi.fn(async () => json({ error: { code: 'unauthorized', message: 'no cookie', details: null } }, 401))
    vi.stubGlobal('fetch', fetchMock)
    renderAuth()
    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut'))
    expect(fetchMock.mock.calls.map((c) => (c as unknown as [string])[0])).toEqual(['/api/auth/refresh'])
  })
})
