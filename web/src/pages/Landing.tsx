import { useState } from 'react'
import { Link, Navigate, useNavigate } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useAuth } from '../auth/AuthProvider'
import { request } from '../api/client'
import type { Chat } from '../api/types'
import { describeError } from '../api/errors'
import { Button, ErrorText } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { LanguageSwitch } from '../components/LanguageSwitch'

export default function Landing() {
  const { t } = useTranslation()
  useTitle(t('pages.welcome'))
  const { status, startGuest } = useAuth()
  const navigate = useNavigate()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  if (status === 'signedIn' && !busy) return <Navigate to="/dashboard" replace />

  const continueAsGuest = async () => {
    setBusy(true)
    setError(null)
    try {
      await startGuest()
      const chat = await request<Chat>('/api/chats', { method: 'POST', body: {} })
      navigate(`/chat/${chat.id}`, { replace: true })
    } catch (caught) {
      setError(describeError(t, caught))
      setBusy(false)
    }
  }

  return (
    <div className="flex min-h-full flex-col">
      <header className="flex items-center justify-between px-4 py-3">
        <span className="text-lg font-semibold">{t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" className="mx-auto flex w-full max-w-xl flex-1 flex-col justify-center gap-6 px-4 py-8">
        <h1 className="text-3xl font-bold">{t('landing.heading')}</h1>
        <p className="text-lg text-muted">{t('landing.pitch')}</p>
        <ErrorText>{error}</ErrorText>
        <div className="flex flex-col gap-3 sm:flex-row">
          <Button onClick={() => void continueAsGuest()} disabled={busy || status === 'loading'}>
            {busy ? t('landing.starting') : t('landing.guest')}
          </Button>
          <Link
            to="/sign-in"
            className="inline-flex min-h-11 items-center justify-center rounded-lg border border-border px-4 py-2 font-medium hover:bg-surface"
          >
            {t('auth.signIn')}
          </Link>
          <Link
            to="/create-account"
            className="inline-flex min-h-11 items-center justify-center rounded-lg border border-border px-4 py-2 font-medium hover:bg-surface"
          >
            {t('auth.createAccount')}
          </Link>
        </div>
        <p className="text-sm text-muted">{t('landing.guestNote')}</p>
      </main>
    </div>
  )
}
