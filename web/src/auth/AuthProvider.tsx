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

export type AuthStatus = 'loading' | 'signedOut' | 'signedIn'

export interface AuthValue {
  status: AuthStatus
  tokens: Tokens | null
  me: Me | undefined
  isGuest: boolean
  isAdmin: boolean
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

  useEffect(() => onTokens(setTokensState), [])

  // On start, resume the session through the refresh cookie (if there is one).
  useEffect(() => {
    if (resumed) return
    let live = true
    void refreshSession().finally(() => {
      if (live) setResumed(true)
    })
    return () => {
      live = false
    }
  }, [resumed])

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
  const logout = useCallback(async () => {
    await apiLogout()
    queryClient.clear()
  }, [queryClient])

  const status: AuthStatus = !resumed ? 'loading' : tokens ? 'signedIn' : 'signedOut'
  const role = me.data?.role ?? tokens?.role
  const value = useMemo<AuthValue>(
    () => ({
      status,
      tokens,
      me: me.data,
      isGuest: role === 'guest',
      isAdmin: role === 'admin',
      startGuest,
      login,
      register,
      pinLogin,
      qrLogin,
      logout,
    }),
    [status, tokens, me.data, role, startGuest, login, register, pinLogin, qrLogin, logout],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext)
  if (!value) throw new Error('useAuth outside AuthProvider')
  return value
}
