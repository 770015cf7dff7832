import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Me, Preferences } from '../api/types'
import { useAuth } from '../auth/AuthProvider'
import { Button, ErrorText, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { LANGUAGES, setLanguage } from '../i18n'
import { applyTheme, storedTheme, type Theme } from '../theme'
import { autoPlayEnabled, setAutoPlay } from '../chat/audio'
import { PinPad } from '../auth/PinPad'

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 className="text-lg font-semibold">{title}</h2>
      {children}
    </section>
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
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setDone(false)
    save.mutate(pin)
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
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

export default function Settings() {
  const { t, i18n } = useTranslation()
  useTitle(t('nav.settings'))
  const { me, isGuest } = useAuth()
  const queryClient = useQueryClient()
  const [theme, setTheme] = useState<Theme>(me?.preferences.theme ?? storedTheme())
  const [autoPlay, setAutoPlayState] = useState(autoPlayEnabled)
  const savePrefs = useMutation({
    mutationFn: (preferences: Partial<Preferences>) => request<Me>('/api/users/me', { method: 'PATCH', body: { preferences } }),
    onSuccess: (updated) => queryClient.setQueryData(['me', updated.id], updated),
  })
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('nav.settings')}</PageHeading>
      <Section title={t('settings.preferences')}>
        <fieldset className="flex flex-col gap-2">
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
                  savePrefs.mutate({ theme: value })
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
              savePrefs.mutate({ language: event.target.value })
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
        <label className="flex min-h-11 items-center gap-2">
          <input
            type="checkbox"
            checked={autoPlay}
            onChange={(event) => {
              setAutoPlay(event.target.checked)
              setAutoPlayState(event.target.checked)
            }}
          />
          {t('settings.autoPlay')}
        </label>
        <ErrorText>{savePrefs.error ? describeError(t, savePrefs.error) : null}</ErrorText>
      </Section>
      {!isGuest ? (
        <>
          <Section title={t('settings.pinSection')}>
            <SetPin />
          </Section>
          <Section title={t('qr.showHeading')}>
            <p>{t('qr.showInstructions')}</p>
            <Link to="/link-device" className="self-start text-link underline">
              {t('qr.showHeading')}
            </Link>
          </Section>
        </>
      ) : (
        <Section title={t('auth.createAccount')}>
          <p>{t('settings.guestNote')}</p>
          <Link to="/create-account" className="self-start text-link underline">
            {t('auth.createAccount')}
          </Link>
        </Section>
      )}
    </div>
  )
}
