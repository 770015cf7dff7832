import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { Button, ErrorText, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'

interface Code {
  url: string
  expiresAt: number
}

/** How long before a code expires a fresh one is fetched. */
export function refreshDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now
  return Math.max(1000, left - Math.min(30_000, left / 5))
}

export default function LinkDevice() {
  const { t } = useTranslation()
  useTitle(t('qr.showHeading'))
  const [code, setCode] = useState<Code | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [now, setNow] = useState(Date.now())
  const [generation, setGeneration] = useState(0)

  useEffect(() => {
    let live = true
    let timer: ReturnType<typeof setTimeout> | undefined
    let url: string | null = null
    void (async () => {
      try {
        const response = await request<Response>('/api/auth/qr?format=svg', { raw: true })
        const expires = Date.parse(response.headers.get('X-Expires-At') ?? '') || Date.now() + 300_000
        url = URL.createObjectURL(await response.blob())
        if (!live) return URL.revokeObjectURL(url)
        setError(null)
        setCode({ url, expiresAt: expires })
        timer = setTimeout(() => setGeneration((g) => g + 1), refreshDelay(expires, Date.now()))
      } catch (caught) {
        if (live) setError(describeError(t, caught))
      }
    })()
    return () => {
      live = false
      if (timer) clearTimeout(timer)
      if (url) setTimeout(() => URL.revokeObjectURL(url!), 1000)
    }
  }, [generation, t])

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(tick)
  }, [])

  const seconds = code ? Math.max(0, Math.round((code.expiresAt - now) / 1000)) : 0
  return (
    <div className="mx-auto flex max-w-xl flex-col gap-4 p-4">
      <PageHeading>{t('qr.showHeading')}</PageHeading>
      <p>{t('qr.showInstructions')}</p>
      <ErrorText>{error}</ErrorText>
      {code ? (
        <>
          <img src={code.url} alt={t('qr.imageAlt')} width={320} height={320} className="aspect-square w-full max-w-80 rounded-lg bg-white p-3" />
          <p aria-live="off" className="text-muted">
            {t('qr.expiresIn', { count: seconds })}
          </p>
        </>
      ) : (
        <p role="status">{t('common.loading')}</p>
      )}
      <Button variant="secondary" className="self-start" onClick={() => setGeneration((g) => g + 1)}>
        {t('qr.newCode')}
      </Button>
    </div>
  )
}
