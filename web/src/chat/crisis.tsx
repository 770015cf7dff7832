import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'

// Phone numbers as the resources write them ("988", "116 123", "13 11 14", "000"),
// not figures like "24/7"; and web addresses.
const TOKEN = /(https?:\/\/[^\s)]+[^\s).,;:!?])|(\+?\d[\d ]*\d|\b\d{3,}\b)(?![\d/])/g

/** The resources text with tap-to-call (tel:) and web links. */
export function linkify(text: string): ReactNode[] {
  const out: ReactNode[] = []
  let last = 0
  for (const match of text.matchAll(TOKEN)) {
    const [whole, url, phone] = match
    const start = match.index ?? 0
    const digits = phone ? phone.replace(/\D/g, '') : ''
    if (phone && (digits.length < 3 || text[start - 1] === '/')) continue
    if (start > last) out.push(text.slice(last, start))
    if (url) {
      out.push(
        <a key={start} href={url} target="_blank" rel="noreferrer noopener" className="font-semibold underline">
          {url}
        </a>,
      )
    } else {
      out.push(
        <a key={start} href={`tel:${phone.startsWith('+') ? '+' : ''}${digits}`} className="font-semibold underline">
          {whole}
        </a>,
      )
    }
    last = start + whole.length
  }
  if (last < text.length) out.push(text.slice(last))
  return out
}

/** The reply text without the resources the server put in front of it (shown in the banner). */
export function withoutResources(content: string, resources: string | null | undefined): string {
  if (!resources) return content
  const trimmed = content.trimStart()
  return trimmed.startsWith(resources) ? trimmed.slice(resources.length).trimStart() : content
}

export function CrisisBanner({ resources }: { resources: string }) {
  const { t } = useTranslation()
  return (
    <div role="alert" className="mb-2 rounded-lg border-2 border-danger bg-danger-soft p-3 text-fg">
      <p className="font-bold">{t('crisis.heading')}</p>
      <p className="mt-1">{linkify(resources)}</p>
    </div>
  )
}
