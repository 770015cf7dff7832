import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import type { Source } from '../api/types'
import { CrisisBanner, withoutResources } from './crisis'
import { cx } from '../components/ui'

/** A snippet with the query words the server marked. */
export function Highlighted({ text, highlights }: { text: string; highlights: [number, number][] }) {
  const parts: React.ReactNode[] = []
  let last = 0
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < last || end <= start) continue
    if (start > last) parts.push(text.slice(last, start))
    parts.push(
      <mark key={start} className="rounded bg-accent-soft px-0.5 text-fg">
        {text.slice(start, end)}
      </mark>,
    )
    last = end
  }
  parts.push(text.slice(last))
  return <>{parts}</>
}

export function Sources({ sources }: { sources: Source[] }) {
  const { t, i18n } = useTranslation()
  if (!sources.length) return null
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer font-medium">{t('chat.sources', { count: sources.length })}</summary>
      <ul className="mt-1 flex flex-col gap-1">
        {sources.map((source) => {
          const date = new Date(source.date + 'T00:00:00').toLocaleDateString(i18n.language, { dateStyle: 'medium' })
          return (
            <li key={`${source.sourceType}-${source.entryId}`} className="rounded border border-border p-2">
              {source.sourceType === 'diary' ? (
                <Link to={`/diary?entry=${encodeURIComponent(source.entryId)}`} className="font-medium text-link underline">
                  {t('chat.diaryEntryOf', { date })}
                </Link>
              ) : (
                <span className="font-medium">{t('chat.chatMessageOf', { date })}</span>
              )}
              <p className="mt-1 text-muted">
                <Highlighted text={source.snippet} highlights={source.highlights ?? []} />
              </p>
            </li>
          )
        })}
      </ul>
    </details>
  )
}

interface Props {
  role: 'user' | 'assistant'
  content: string
  resources?: string | null
  sources?: Source[] | null
  interrupted?: boolean
  streaming?: boolean
  audioUrl?: string | null
  children?: React.ReactNode
}

export function MessageView({ role, content, resources, sources, interrupted, streaming, audioUrl, children }: Props) {
  const { t } = useTranslation()
  const mine = role === 'user'
  return (
    <article
      aria-label={mine ? t('chat.you') : t('chat.companion')}
      className={cx('flex flex-col', mine ? 'items-end' : 'items-start')}
    >
      <div
        className={cx(
          'max-w-[90%] rounded-2xl px-3 py-2 sm:max-w-[75%]',
          mine ? 'bg-accent-soft text-fg' : 'border border-border bg-surface text-fg',
        )}
      >
        <p className="sr-only">{mine ? t('chat.you') : t('chat.companion')}:</p>
        {resources ? <CrisisBanner resources={resources} /> : null}
        {/* Streamed text stays out of the live region: the finished reply is announced once. */}
        <p className="whitespace-pre-wrap break-words" aria-hidden={streaming ? true : undefined}>
          {withoutResources(content, resources)}
          {streaming ? <span aria-hidden="true" className="animate-pulse">▍</span> : null}
        </p>
        {interrupted ? <p className="mt-1 text-sm text-muted">{t('chat.interrupted')}</p> : null}
        {audioUrl ? (
          <audio controls src={audioUrl} className="mt-2 max-w-full" aria-label={mine ? t('voice.yourRecording') : t('voice.spokenReply')} />
        ) : null}
        {sources ? <Sources sources={sources} /> : null}
        {children}
      </div>
    </article>
  )
}
