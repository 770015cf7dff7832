// A small note in the header: offline (what is written waits on this device), or how
// many writes still wait to be sent once the network is back.
import { useTranslation } from 'react-i18next'
import { useAuth } from '../auth/AuthProvider'
import { useOnline, useOutbox } from './hooks'

export function OfflineIndicator() {
  const { t } = useTranslation()
  const online = useOnline()
  const { offline } = useAuth()
  const waiting = useOutbox().filter((item) => item.state === 'waiting').length
  const away = !online || offline
  return (
    <p role="status" className={away || waiting ? 'rounded-lg bg-accent-soft px-3 py-1 text-sm text-fg' : 'sr-only'}>
      {away ? (
        <>
          <span className="font-semibold">{t('offline.indicator')}</span>
          {waiting ? ` · ${t('offline.waiting', { count: waiting })}` : null}
        </>
      ) : waiting ? (
        t('offline.waiting', { count: waiting })
      ) : null}
    </p>
  )
}
