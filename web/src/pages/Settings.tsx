import { useEffect, useId, useState, type FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { downloadMyData } from '../api/export'
import type { Me, Preferences, SessionInfo } from '../api/types'
import { useAuth } from '../auth/AuthProvider'
import { Button, Checkbox, ErrorText, Field, FileButton, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { LANGUAGES, setLanguage } from '../i18n'
import { applyTheme, storedTheme, type Theme } from '../theme'
import { autoPlayEnabled, setAutoPlay } from '../chat/audio'
import { PinPad } from '../auth/PinPad'
import { forgetAccount } from '../auth/accounts'

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const id = useId()
  return (
    <section aria-labelledby={id} className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  )
}

function usePatchMe() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => request<Me>('/api/users/me', { method: 'PATCH', body }),
    onSuccess: (updated) => queryClient.setQueryData(['me', updated.id], updated),
  })
}

function Profile({ me }: { me: Me }) {
  const { t } = useTranslation()
  const queryClient = useQueryClient()
  const [name, setName] = useState(me.profile.name ?? '')
  const [email, setEmail] = useState(me.profile.email ?? '')
  const [phone, setPhone] = useState(me.profile.phone ?? '')
  const [saved, setSaved] = useState(false)
  const [avatar, setAvatar] = useState<string | null>(null)
  const [avatarVersion, setAvatarVersion] = useState(0)
  const patch = usePatchMe()
  // the uploaded picture (404 until there is one)
  useEffect(() => {
    let url: string | null = null
    let live = true
    void request<Response>('/api/users/me/avatar', { raw: true })
      .then((r) => r.blob())
      .then((blob) => {
        url = URL.createObjectURL(blob)
        if (live) setAvatar(url)
      })
      .catch(() => undefined)
    return () => {
      live = false
      if (url) URL.revokeObjectURL(url)
    }
  }, [avatarVersion])
  const upload = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData()
      form.append('file', file)
      return request('/api/users/me/avatar', { method: 'PUT', body: form })
    },
    onSuccess: () => {
      setAvatarVersion((v) => v + 1)
      void queryClient.invalidateQueries({ queryKey: ['me'] })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    patch.mutate({ name: name.trim() || null, email: email.trim() || null, phone: phone.trim() || null }, { onSuccess: () => setSaved(true) })
  }
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-4">
        {avatar ? (
          <img src={avatar} alt={t('settings.avatarAlt')} width={80} height={80} className="h-20 w-20 rounded-full object-cover" />
        ) : (
          <p className="text-muted">{t('settings.noAvatar')}</p>
        )}
        <FileButton
          label={t('settings.uploadAvatar')}
          accept="image/png,image/jpeg,image/webp"
          onFile={(file) => upload.mutate(file)}
        />
      </div>
      <ErrorText>{upload.error ? describeError(t, upload.error) : null}</ErrorText>
      <form onSubmit={submit} className="flex flex-col gap-3">
        <Field label={t('auth.name')} autoComplete="name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        <Field label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={t('settings.phone')} type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} />
        <ErrorText>{patch.error ? describeError(t, patch.error, 'register') : null}</ErrorText>
        {saved ? <p role="status">{t('settings.profileSaved')}</p> : null}
        <Button type="submit" className="self-start" disabled={patch.isPending}>
          {t('settings.saveProfile')}
        </Button>
      </form>
    </div>
  )
}

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  try {
    return intl.supportedValuesOf?.('timeZone') ?? ['UTC']
  } catch {
    return ['UTC']
  }
}

function PreferencesSection({ me }: { me: Me | undefined }) {
  const { t, i18n } = useTranslation()
  const [theme, setTheme] = useState<Theme>(me?.preferences.theme ?? storedTheme())
  const [autoPlay, setAutoPlayState] = useState(autoPlayEnabled)
  const patch = usePatchMe()
  const prefs = (preferences: Partial<Preferences>) => patch.mutate({ preferences })
  const zones = timeZones()
  // shown at once; saved in the background
  const [zone, setZone] = useState(me?.preferences.timeZone ?? 'UTC')
  const [remember, setRemember] = useState(me?.preferences.rememberChats ?? true)
  const [fineTune, setFineTune] = useState(me?.preferences.autoFineTune ?? true)
  return (
    <div className="flex flex-col gap-3">
      <fieldset className="flex flex-col gap-1">
        <legend className="font-medium">{t('settings.theme')}</legend>
        {(['system', 'light', 'dark'] as const).map((value) => (
          <label key={value} className="flex min-h-11 items-center gap-2">
            <input
              type="radio"
              name="theme"
              value={value}
              checked={theme === value}
              onChange={() => {
                setTheme(value)
                applyTheme(value)
                prefs({ theme: value })
              }}
            />
            {t(`settings.themes.${value}`)}
          </label>
        ))}
      </fieldset>
      <label className="flex flex-col gap-1 font-medium">
        {t('settings.language')}
        <select
          value={i18n.language}
          onChange={(event) => {
            void setLanguage(event.target.value)
            prefs({ language: event.target.value })
          }}
          className="min-h-11 max-w-60 rounded-lg border border-border bg-bg px-2 font-normal text-fg"
        >
          {LANGUAGES.map((language) => (
            <option key={language} value={language}>
              {t(`languages.${language}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1 font-medium">
        {t('settings.timeZone')}
        <select
          value={zone}
          onChange={(event) => {
            setZone(event.target.value)
            prefs({ timeZone: event.target.value })
          }} className="min-h-11 max-w-80 rounded-lg border border-border bg-bg px-2 font-normal text-fg">
          {(zones.includes(zone) ? zones : [zone, ...zones]).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
      {me ? (
        <>
          <Checkbox
            label={t('settings.rememberChats')}
            checked={remember}
            onChange={(checked) => {
              setRemember(checked)
              prefs({ rememberChats: checked })
            }}
          />
          <p className="-mt-2 text-sm text-muted">{t('settings.rememberChatsNote')}</p>
          <Checkbox
            label={t('settings.autoFineTune')}
            checked={fineTune}
            onChange={(checked) => {
              setFineTune(checked)
              prefs({ autoFineTune: checked })
            }}
          />
          <p className="-mt-2 text-sm text-muted">{t('settings.autoFineTuneNote')}</p>
        </>
      ) : null}
      <Checkbox
        label={t('settings.autoPlay')}
        checked={autoPlay}
        onChange={(checked) => {
          setAutoPlay(checked)
          setAutoPlayState(checked)
        }}
      />
      <ErrorText>{patch.error ? describeError(t, patch.error) : null}</ErrorText>
    </div>
  )
}

function SetPin() {
  const { t } = useTranslation()
  const [pin, setPin] = useState('')
  const [done, setDone] = useState(false)
  const save = useMutation({
    mutationFn: (value: string) => request('/api/auth/pin', { method: 'PUT', body: { pin: value } }),
    onSuccess: () => {
      setDone(true)
      setPin('')
    },
  })
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        setDone(false)
        save.mutate(pin)
      }}
      className="flex flex-col gap-3"
    >
      <PinPad label={t('settings.newPin')} value={pin} onChange={setPin} />
      <p className="text-sm text-muted">{t('settings.pinHint')}</p>
      <ErrorText>{save.error ? describeError(t, save.error) : null}</ErrorText>
      {done ? <p role="status">{t('settings.pinSaved')}</p> : null}
      <Button type="submit" className="self-start" disabled={pin.length < 4 || save.isPending}>
        {t('settings.setPin')}
      </Button>
    </form>
  )
}

function Devices() {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => request<SessionInfo[]>('/api/auth/sessions') })
  const revoke = useMutation({
    mutationFn: (id: string) => request(`/api/auth/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  })
  const fmt = (d: string) => new Date(d).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })
  return (
    <div className="flex flex-col gap-2">
      <ErrorText>{sessions.error ? describeError(t, sessions.error) : revoke.error ? describeError(t, revoke.error) : null}</ErrorText>
      <ul className="flex flex-col gap-2">
        {sessions.data?.map((session) => (
          <li key={session.id} className="flex flex-wrap items-center gap-2 rounded-lg border border-border p-2">
            <span className="flex-1">
              {t('settings.deviceSince', { date: fmt(session.createdAt) })}
              {session.current ? <strong> · {t('settings.thisDevice')}</strong> : null}
            </span>
            {!session.current ? (
              <Button variant="secondary" aria-label={t('settings.signOutDeviceNamed', { date: fmt(session.createdAt) })} onClick={() => revoke.mutate(session.id)}>
                {t('settings.signOutDevice')}
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      <Link to="/link-device" className="self-start text-link underline">
        {t('qr.showHeading')}
      </Link>
    </div>
  )
}

interface ApiKey {
  id: string
  name: string
  prefix: string
  createdAt: string
  lastUsedAt: string | null
}

function ApiKeys() {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const [name, setName] = useState('')
  const [shown, setShown] = useState<string | null>(null)
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => request<ApiKey[]>('/api/auth/api-keys') })
  const create = useMutation({
    mutationFn: (keyName: string) => request<ApiKey & { key: string }>('/api/auth/api-keys', { method: 'POST', body: { name: keyName } }),
    onSuccess: (created) => {
      setShown(created.key)
      setName('')
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] })
    },
  })
  const revoke = useMutation({
    mutationFn: (id: string) => request(`/api/auth/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  })
  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-muted">{t('settings.apiKeysNote')}</p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault()
          if (name.trim()) create.mutate(name.trim())
        }}
      >
        <Field label={t('settings.keyName')} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <Button type="submit" disabled={create.isPending}>
          {t('settings.createKey')}
        </Button>
      </form>
      {shown ? (
        <div role="status" className="flex flex-col gap-1 rounded-lg bg-accent-soft p-3">
          <p className="font-medium">{t('settings.keyShownOnce')}</p>
          <code className="break-all rounded bg-bg p-2 text-fg">{shown}</code>
        </div>
      ) : null}
      <ErrorText>{create.error ? describeError(t, create.error) : revoke.error ? describeError(t, revoke.error) : null}</ErrorText>
      <ul className="flex flex-col gap-2">
        {keys.data?.map((key) => (
          <li key={key.id} className="flex flex-wrap items-center gap-2 rounded-lg border border-border p-2">
            <span className="flex-1">
              {key.name} · <code>{key.prefix}…</code> · {new Date(key.createdAt).toLocaleDateString(i18n.language)}
            </span>
            <Button variant="secondary" aria-label={t('settings.revokeNamed', { name: key.name })} onClick={() => revoke.mutate(key.id)}>
              {t('settings.revoke')}
            </Button>
          </li>
        ))}
      </ul>
    </div>
  )
}

function Export() {
  const { t } = useTranslation()
  const download = useMutation({
    mutationFn: downloadMyData,
  })
  return (
    <div className="flex flex-col gap-2">
      <p>{t('settings.exportNote')}</p>
      <Button variant="secondary" className="self-start" onClick={() => download.mutate()} disabled={download.isPending}>
        {t('settings.export')}
      </Button>
      <ErrorText>{download.error ? describeError(t, download.error) : null}</ErrorText>
    </div>
  )
}

function DeleteAccount({ me }: { me: Me }) {
  const { t } = useTranslation()
  const { logout } = useAuth()
  const navigate = useNavigate()
  const [typed, setTyped] = useState('')
  const word = t('settings.deleteWord')
  const remove = useMutation({
    mutationFn: () => request('/api/users/me', { method: 'DELETE' }),
    onSuccess: async () => {
      forgetAccount(me.id)
      await logout().catch(() => undefined)
      navigate('/', { replace: true })
    },
  })
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(event) => {
        event.preventDefault()
        if (typed.trim().toLowerCase() === word.toLowerCase()) remove.mutate()
      }}
    >
      <p className="font-medium text-danger">{t('settings.deleteWarning')}</p>
      <Field label={t('settings.deleteType', { word })} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
      <ErrorText>{remove.error ? describeError(t, remove.error) : null}</ErrorText>
      <Button type="submit" variant="danger" className="self-start" disabled={typed.trim().toLowerCase() !== word.toLowerCase() || remove.isPending}>
        {t('settings.deleteAccount')}
      </Button>
    </form>
  )
}

export default function Settings() {
  const { t } = useTranslation()
  useTitle(t('nav.settings'))
  const { me, isGuest } = useAuth()
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('nav.settings')}</PageHeading>
      {isGuest ? (
        <Section title={t('auth.createAccount')}>
          <p>{t('settings.guestNote')}</p>
          <Link to="/create-account" className="self-start text-link underline">
            {t('auth.createAccount')}
          </Link>
        </Section>
      ) : null}
      {me && !isGuest ? (
        <Section title={t('settings.profile')}>
          <Profile me={me} />
        </Section>
      ) : null}
      <Section title={t('settings.preferences')}>
        <PreferencesSection key={me ? me.id : 'loading'} me={me} />
      </Section>
      {!isGuest ? (
        <>
          <Section title={t('settings.pinSection')}>
            <SetPin />
          </Section>
          <Section title={t('settings.devices')}>
            <Devices />
          </Section>
          <Section title={t('settings.apiKeys')}>
            <ApiKeys />
          </Section>
        </>
      ) : null}
      <Section title={t('settings.exportHeading')}>
        <Export />
      </Section>
      {me ? (
        <Section title={t('settings.deleteAccount')}>
          <DeleteAccount me={me} />
        </Section>
      ) : null}
    </div>
  )
}
