import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import {
  currentTokens,
  issueTokens,
  logout as apiLogout,
  onTokens,
  refreshSession,
  request,
} from '../api/client'
import type { Me, Tokens } from '../api/types'
import { rememberAccount } from './accounts'
import { setLanguage, supported } from '../i18n'
import i18n from '../i18n'
import { applyTheme } from '../theme'
import {
  clearSignOutPending,
  forgetDevice,
  markSignOutPending,
  offlineOwner,
  serverReachable,
  signOutPending,
  type DeviceOwner,
} from '../offline/device'
import { flush } from '../offline/outbox'

export type AuthStatus = 'loading' | 'signedOut' | 'signedIn'

export interface AuthValue {
  status: AuthStatus
  tokens: Tokens | null
  me: Me | undefined
  isGuest: boolean
  isAdmin: boolean
  /** Signed in from what this device remembers: no network, no live session yet. */
  offline: boolean
  /** The account whose data is shown: the live session's, or the one remembered offline. */
  userId: string | null
  startGuest: () => Promise<Tokens>
  login: (email: string, password: string) => Promise<Tokens>
  register: (fields: { name: string; email: string; password: string }) => Promise<Tokens>
  pinLogin: (userId: string, pin: string) => Promise<Tokens>
  qrLogin: (qr: string) => Promise<Tokens>
  logout: () => Promise<void>
}

const AuthContext = createContext<AuthValue | null>(null)

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient()
  const [tokens, setTokensState] = useState<Tokens | null>(currentTokens())
  const [resumed, setResumed] = useState(currentTokens() !== null)
  const [offline, setOffline] = useState<DeviceOwner | null>(null)

  useEffect(() => onTokens(setTokensState), [])
  useEffect(() => {
    if (!tokens) return
    setOffline(null)
    clearSignOutPending()
  }, [tokens])

  // On start, resume the session through the refresh cookie (if there is one); with no
  // network, open for the person last signed in here (src/offline/). A sign-out that
  // could not reach the server is finished first.
  useEffect(() => {
    if (resumed) return
    let live = true
    void (async () => {
      if (signOutPending()) {
        await apiLogout().then(clearSignOutPending, () => undefined)
        return
      }
      const owner = (await refreshSession()) ? null : await offlineOwner()
      if (live) setOffline(owner)
    })().finally(() => {
      if (live) setResumed(true)
    })
    return () => {
      live = false
    }
  }, [resumed])

  // Offline: try the session again when the network is back (and now and then).
  useEffect(() => {
    if (!offline) return
    const retry = async () => {
      if (await refreshSession()) return
      if (await serverReachable()) setOffline(null) // the session has ended: signed out
    }
    window.addEventListener('online', retry)
    const timer = setInterval(() => void retry(), 20_000)
    return () => {
      window.removeEventListener('online', retry)
      clearInterval(timer)
    }
  }, [offline])

  const me = useQuery({
    queryKey: ['me', tokens?.userId],
    queryFn: () => request<Me>('/api/users/me'),
    enabled: tokens !== null,
    staleTime: 60_000,
  })

  // The person's own preferences decide the language and theme.
  const preferences = me.data?.preferences
  useEffect(() => {
    if (!preferences) return
    if (supported(preferences.language) !== i18n.language) void setLanguage(preferences.language)
    applyTheme(preferences.theme)
  }, [preferences])

  useEffect(() => {
    const data = me.data
    if (data && data.role !== 'guest') {
      rememberAccount({ userId: data.id, name: data.profile.name, email: data.profile.email })
    }
  }, [me.data])

  // A new account (guest or registered) takes the language chosen on this device.
  const keepLanguage = useCallback(async (issued: Tokens) => {
    await fetch('/api/users/me', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${issued.accessToken}` },
      body: JSON.stringify({ preferences: { language: supported(i18n.language) } }),
    })
  }, [])
  const startGuest = useCallback(() => issueTokens('/api/auth/guest', undefined, keepLanguage), [keepLanguage])
  const login = useCallback(
    (email: string, password: string) => issueTokens('/api/auth/login', { email, password }),
    [],
  )
  const register = useCallback(
    async (fields: { name: string; email: string; password: string }) => {
      // With a guest's token this upgrades the guest: the chats stay.
      const issued = await issueTokens('/api/auth/register', fields, keepLanguage)
      await queryClient.invalidateQueries({ queryKey: ['me'] })
      return issued
    },
    [queryClient, keepLanguage],
  )
  const pinLogin = useCallback(
    (userId: string, pin: string) => issueTokens('/api/auth/pin-login', { userId, pin }),
    [],
  )
  const qrLogin = useCallback((qr: string) => issueTokens('/api/auth/qr-login', { qr }), [])
  // Signing out also forgets what this device kept (src/offline/).
  const logout = useCallback(async () => {
    await flush().catch(() => undefined) // what still waits goes first, when it can
    try {
      await apiLogout()
    } catch {
      markSignOutPending() // no network: the next start finishes it
    } finally {
      setOffline(null)
      await forgetDevice()
      queryClient.clear()
    }
  }, [queryClient])

  const status: AuthStatus = !resumed ? 'loading' : tokens || offline ? 'signedIn' : 'signedOut'
  const role = me.data?.role ?? tokens?.role ?? offline?.role
  const value = useMemo<AuthValue>(
    () => ({
      status,
      tokens,
      me: me.data,
      isGuest: role === 'guest',
      isAdmin: role === 'admin',
      offline: !tokens && offline !== null,
      userId: tokens?.userId ?? offline?.userId ?? null,
      startGuest,
      login,
      register,
      pinLogin,
      qrLogin,
      logout,
    }),
    [status, tokens, offline, me.data, role, startGuest, login, register, pinLogin, qrLogin, logout],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext)
  if (!value) throw new Error('useAuth outside AuthProvider')
  return value
}
