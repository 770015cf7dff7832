import { useState, type FormEvent } from 'react'
import { Link, NavLink, useLocation, useNavigate } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useAuth } from '../auth/AuthProvider'
import { forgetAccount, rememberedAccounts, type RememberedAccount } from '../auth/accounts'
import { describeError } from '../api/errors'
import { Button, ErrorText, Field, cx } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { LanguageSwitch } from '../components/LanguageSwitch'
import { PinPad } from '../auth/PinPad'
import { QrScanner } from '../auth/QrScanner'

export type SignInMode = 'password' | 'create' | 'pin' | 'qr'

/** Back to where the person was going; else the dashboard after signing in, and the chat
 *  (their first conversation) after creating an account. */
function useAfterSignIn(home = '/dashboard') {
  const navigate = useNavigate()
  const location = useLocation()
  const from = (location.state as { from?: string } | null)?.from
  return () => navigate(from && from !== '/' ? from : home, { replace: true })
}

function PasswordForm() {
  const { t } = useTranslation()
  const { login } = useAuth()
  const done = useAfterSignIn()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login(email.trim(), password)
      done()
    } catch (caught) {
      setError(describeError(t, caught, 'login'))
      setBusy(false)
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4">
      <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <Field label={t('auth.password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      <ErrorText>{error}</ErrorText>
      <Button type="submit" disabled={busy}>
        {t('auth.signIn')}
      </Button>
    </form>
  )
}

function CreateForm() {
  const { t } = useTranslation()
  const { register, isGuest } = useAuth()
  const done = useAfterSignIn('/chat')
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await register({ name: name.trim(), email: email.trim(), password })
      done()
    } catch (caught) {
      setError(describeError(t, caught, 'register'))
      setBusy(false)
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4">
      {isGuest ? <p className="rounded-lg bg-accent-soft p-3">{t('auth.upgradeNote')}</p> : null}
      <Field label={t('auth.name')} autoComplete="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <Field
        label={t('auth.password')}
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        hint={t('auth.passwordHint')}
      />
      <ErrorText>{error}</ErrorText>
      <Button type="submit" disabled={busy}>
        {t('auth.createAccount')}
      </Button>
    </form>
  )
}

function accountLabel(account: RememberedAccount, fallback: string): string {
  return account.name && account.email ? `${account.name} (${account.email})` : account.name || account.email || fallback
}

function PinForm() {
  const { t } = useTranslation()
  const { pinLogin } = useAuth()
  const done = useAfterSignIn()
  const [accounts, setAccounts] = useState(rememberedAccounts)
  const [userId, setUserId] = useState<string>(accounts[0]?.userId ?? '')
  const [pin, setPin] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (accounts.length === 0) {
    return (
      <p>
        {t('pin.noAccounts')}{' '}
        <Link to="/sign-in" className="text-link underline">
          {t('auth.signInWithPassword')}
        </Link>
      </p>
    )
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!userId || pin.length < 4) {
      setError(t('pin.tooShort'))
      return
    }
    setBusy(true)
    setError(null)
    try {
      await pinLogin(userId, pin)
      done()
    } catch (caught) {
      setError(describeError(t, caught, 'pin'))
      setPin('')
      setBusy(false)
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4">
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-1 font-medium">{t('pin.account')}</legend>
        {accounts.map((account) => (
          <div key={account.userId} className="flex items-center gap-2">
            <label className="flex min-h-11 flex-1 items-center gap-2 rounded-lg border border-border px-3">
              <input type="radio" name="account" value={account.userId} checked={userId === account.userId} onChange={() => setUserId(account.userId)} />
              {accountLabel(account, t('pin.unnamed'))}
            </label>
            <Button
              variant="ghost"
              aria-label={t('pin.forgetNamed', { name: accountLabel(account, t('pin.unnamed')) })}
              onClick={() => {
                forgetAccount(account.userId)
                const rest = rememberedAccounts()
                setAccounts(rest)
                if (userId === account.userId) setUserId(rest[0]?.userId ?? '')
              }}
            >
              {t('pin.forget')}
            </Button>
          </div>
        ))}
      </fieldset>
      <PinPad label={t('pin.pin')} value={pin} onChange={setPin} />
      <ErrorText>{error}</ErrorText>
      <Button type="submit" disabled={busy} className="w-48">
        {t('auth.signIn')}
      </Button>
    </form>
  )
}

function QrForm() {
  const { t } = useTranslation()
  const { qrLogin } = useAuth()
  const done = useAfterSignIn()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const onCode = async (text: string): Promise<boolean> => {
    setBusy(true)
    setError(null)
    try {
      await qrLogin(text)
      done()
      return true
    } catch (caught) {
      setError(describeError(t, caught, 'qr'))
      setBusy(false)
      return false
    }
  }
  return (
    <div className="flex flex-col gap-4">
      <p>{t('qr.instructions')}</p>
      <QrScanner onCode={onCode} busy={busy} />
      {busy ? <p role="status">{t('qr.signingIn')}</p> : null}
      <ErrorText>{error}</ErrorText>
    </div>
  )
}

export default function SignIn({ mode }: { mode: SignInMode }) {
  const { t } = useTranslation()
  const { isGuest } = useAuth()
  const headings: Record<SignInMode, string> = {
    password: t('auth.signIn'),
    create: t('auth.createAccount'),
    pin: t('pin.heading'),
    qr: t('qr.heading'),
  }
  useTitle(headings[mode])
  const tabs: [string, string][] = [
    ['/sign-in', t('auth.tabPassword')],
    ['/sign-in/pin', t('auth.tabPin')],
    ['/sign-in/qr', t('auth.tabQr')],
    ['/create-account', t('auth.createAccount')],
  ]
  return (
    <div className="flex min-h-full flex-col">
      <header className="flex items-center justify-between px-4 py-3">
        <Link to={isGuest ? '/chat' : '/'} className="text-lg font-semibold">
          {t('app.name')}
        </Link>
        <LanguageSwitch />
      </header>
      <main id="main" className="mx-auto flex w-full max-w-md flex-col gap-6 px-4 py-6">
        <h1 className="text-2xl font-bold">{headings[mode]}</h1>
        {!isGuest ? (
          <nav aria-label={t('auth.ways')}>
            <ul className="flex flex-wrap gap-2">
              {tabs.map(([to, label]) => (
                <li key={to}>
                  <NavLink
                    end
                    to={to}
                    className={({ isActive }) =>
                      cx('inline-flex min-h-11 items-center rounded-lg border px-3 font-medium', isActive ? 'border-accent bg-accent-soft' : 'border-border hover:bg-surface')
                    }
                  >
                    {label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {mode === 'password' ? <PasswordForm /> : null}
        {mode === 'create' ? <CreateForm /> : null}
        {mode === 'pin' ? <PinForm /> : null}
        {mode === 'qr' ? <QrForm /> : null}
      </main>
    </div>
  )
}
