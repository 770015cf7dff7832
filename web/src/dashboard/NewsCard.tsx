import { useId } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'

interface NewsItem {
  title: string
  link: string
  summary: string
  published: string | null
  source: string
}

interface News {
  items: NewsItem[]
}

/** The summary's words without its markup (it is sanitised HTML; text is all we show). */
export function plainText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html')
  return (doc.body.textContent ?? '').replace(/\s+/g, ' ').trim()
}

/** Health news from the operator's feeds; nothing at all when none is configured. */
export function NewsCard() {
  const { t, i18n } = useTranslation()
  const id = useId()
  const news = useQuery({ queryKey: ['news'], queryFn: () => request<News>('/api/news?limit=5', { auth: false }), staleTime: 10 * 60_000, retry: false })
  const items = news.data?.items ?? []
  if (!items.length) return null
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium' })
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-2 rounded-lg border border-border p-4" data-testid="news-card">
      <h2 id={`${id}-h`} className="text-lg font-semibold">
        {t('dashboard.news')}
      </h2>
      <ul className="flex flex-col gap-3">
        {items.map((item) => {
          const summary = plainText(item.summary)
          return (
            <li key={item.link}>
              <a href={item.link} target="_blank" rel="noopener noreferrer" className="font-medium text-link underline">
                {item.title}
                <span className="sr-only"> {t('dashboard.newTab')}</span>
              </a>
              <p className="text-sm text-muted">
                {item.source}
                {item.published ? ` · ${when.format(new Date(item.published))}` : ''}
              </p>
              {summary ? <p className="line-clamp-3 text-sm">{summary}</p> : null}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
