import { useEffect, useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Page, Source } from '../api/types'
import { Highlighted, Sources } from '../chat/MessageView'
import { queryHighlights } from '../chat/highlight'
import { Button, ErrorText, Field, FileButton, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { useAuth } from '../auth/AuthProvider'
import { discard, postCreating, QueuedOffline, type OutboxItem } from '../offline/outbox'
import { useOnline, useOutbox } from '../offline/hooks'

export interface Entry {
  id: string
  date: string
  text: string
  mood: number | null
  tags: string[]
  createdAt: string
  updatedAt: string
}

function today(): string {
  const now = new Date()
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10)
}

/** What a new entry sends (and what waits on this device while offline). */
interface EntryDraft {
  text: string
  date: string
  mood: number | null
  tags: string[]
}

export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((tag) => tag.trim()).filter(Boolean))]
}

function EntryForm({ entry, onDone }: { entry?: Entry; onDone?: () => void }) {
  const { t } = useTranslation()
  const queryClient = useQueryClient()
  const id = useId()
  const [text, setText] = useState(entry?.text ?? '')
  const [date, setDate] = useState(entry?.date ?? today())
  const [mood, setMood] = useState(entry?.mood ? String(entry.mood) : '')
  const [tags, setTags] = useState(entry?.tags.join(', ') ?? '')
  const [saved, setSaved] = useState<'sent' | 'onDevice' | null>(null)
  const save = useMutation({
    // 'always': offline the new entry must reach postCreating, which keeps it on the device
    networkMode: 'always',
    mutationFn: async (): Promise<'sent' | 'onDevice'> => {
      const body: EntryDraft = { text, date, mood: mood ? Number(mood) : null, tags: parseTags(tags) }
      if (entry) {
        await request<Entry>(`/api/diary/${entry.id}`, { method: 'PATCH', body })
        return 'sent'
      }
      try {
        await postCreating<Entry>('/api/diary', body)
        return 'sent'
      } catch (error) {
        if (error instanceof QueuedOffline) return 'onDevice'
        throw error
      }
    },
    onSuccess: (outcome) => {
      void queryClient.invalidateQueries({ queryKey: ['diary'] })
      setSaved(outcome)
      if (!entry) {
        setText('')
        setMood('')
        setTags('')
      }
      onDone?.()
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved(null)
    if (text.trim()) save.mutate()
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-text`} className="font-medium">
          {t('diary.entry')}
        </label>
        <textarea
          id={`${id}-text`}
          required
          rows={entry ? 4 : 6}
          maxLength={50000}
          value={text}
          onChange={(event) => setText(event.target.value)}
          className="rounded-lg border border-border bg-bg px-3 py-2 text-fg"
        />
      </div>
      <div className="flex flex-wrap gap-3">
        <Field label={t('diary.date')} type="date" required value={date} onChange={(e) => setDate(e.target.value)} />
        <Field label={t('diary.mood')} type="number" min={1} max={10} value={mood} onChange={(e) => setMood(e.target.value)} className="w-36" />
        <Field label={t('diary.tags')} value={tags} onChange={(e) => setTags(e.target.value)} hint={t('diary.tagsHint')} className="flex-1" />
      </div>
      <ErrorText>{save.error ? describeError(t, save.error) : null}</ErrorText>
      {saved && !entry ? <p role="status">{saved === 'sent' ? t('diary.saved') : t('offline.savedOnDevice')}</p> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          {t('common.save')}
        </Button>
        {onDone && entry ? (
          <Button variant="secondary" onClick={onDone}>
            {t('common.cancel')}
          </Button>
        ) : null}
      </div>
    </form>
  )
}

function EntryItem({ entry, focused }: { entry: Entry; focused: boolean }) {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view')
  const date = new Date(entry.date + 'T00:00:00').toLocaleDateString(i18n.language, { dateStyle: 'full' })
  const remove = useMutation({
    mutationFn: () => request(`/api/diary/${entry.id}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['diary'] }),
  })
  return (
    <li id={`entry-${entry.id}`} className={focused ? 'rounded-lg border-2 border-accent p-3' : 'rounded-lg border border-border p-3'}>
      <article aria-label={t('diary.entryOf', { date })}>
        <h3 className="font-semibold">{date}</h3>
        {mode === 'edit' ? (
          <EntryForm entry={entry} onDone={() => setMode('view')} />
        ) : (
          <>
            <p className="mt-1 whitespace-pre-wrap">{entry.text}</p>
            <p className="mt-1 text-sm text-muted">
              {entry.mood ? t('diary.moodIs', { mood: entry.mood }) : null}
              {entry.mood && entry.tags.length ? ' · ' : null}
              {entry.tags.length ? t('diary.tagsAre', { tags: entry.tags.join(', ') }) : null}
            </p>
            {mode === 'delete' ? (
              <div className="mt-2 flex flex-wrap items-center gap-2">
                <p className="font-medium">{t('diary.deleteConfirm')}</p>
                <Button variant="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
                  {t('common.delete')}
                </Button>
                <Button variant="secondary" onClick={() => setMode('view')}>
                  {t('common.cancel')}
                </Button>
              </div>
            ) : (
              <div className="mt-2 flex gap-2">
                <Button variant="secondary" aria-label={t('diary.editNamed', { date })} onClick={() => setMode('edit')}>
                  {t('diary.edit')}
                </Button>
                <Button variant="secondary" aria-label={t('diary.deleteNamed', { date })} onClick={() => setMode('delete')}>
                  {t('common.delete')}
                </Button>
              </div>
            )}
            <ErrorText>{remove.error ? describeError(t, remove.error) : null}</ErrorText>
          </>
        )}
      </article>
    </li>
  )
}

/** A new entry kept on this device until it can be sent (or that the server refused). */
function PendingItem({ item }: { item: OutboxItem }) {
  const { t, i18n } = useTranslation()
  const draft = item.body as EntryDraft
  const date = new Date(draft.date + 'T00:00:00').toLocaleDateString(i18n.language, { dateStyle: 'full' })
  return (
    <li className="rounded-lg border border-dashed border-border p-3">
      <article aria-label={t('offline.pendingEntryOf', { date })}>
        <h3 className="font-semibold">{date}</h3>
        <p className="text-sm font-medium text-muted">
          {item.state === 'waiting' ? t('offline.pending') : t('offline.rejected', { reason: item.error ?? '' })}
        </p>
        <p className="mt-1 whitespace-pre-wrap">{draft.text}</p>
        {item.state === 'rejected' ? (
          <Button variant="secondary" className="mt-2" onClick={() => void discard(item.key)}>
            {t('offline.discard')}
          </Button>
        ) : null}
      </article>
    </li>
  )
}

function Import() {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const upload = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData()
      form.append('file', file)
      return request<{ created: number; firstDate: string | null; lastDate: string | null }>('/api/diary/import', { method: 'POST', body: form })
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['diary'] }),
  })
  const fmt = (d: string) => new Date(d + 'T00:00:00').toLocaleDateString(i18n.language, { dateStyle: 'medium' })
  return (
    <div className="flex flex-col gap-2">
      <FileButton
        label={t('diary.import')}
        accept=".txt,.md,.json,text/plain,text/markdown,application/json"
        className="self-start"
        onFile={(file) => upload.mutate(file)}
      />
      <p className="text-sm text-muted">{t('diary.importHint')}</p>
      {upload.isPending ? <p role="status">{t('diary.importing')}</p> : null}
      {upload.data ? (
        <p role="status" className="rounded-lg bg-accent-soft p-2">
          {upload.data.created && upload.data.firstDate && upload.data.lastDate
            ? t('diary.imported', { count: upload.data.created, first: fmt(upload.data.firstDate), last: fmt(upload.data.lastDate) })
            : t('diary.importedNone')}
        </p>
      ) : null}
      <ErrorText>{upload.error ? describeError(t, upload.error) : null}</ErrorText>
    </div>
  )
}

function Search() {
  const { t, i18n } = useTranslation()
  const [query, setQuery] = useState('')
  // each press of Search asks again (new writing is indexed in the background)
  const [submitted, setSubmitted] = useState({ q: '', n: 0 })
  const results = useQuery({
    queryKey: ['search', submitted.q, submitted.n],
    queryFn: () => request<{ results: Source[] }>(`/api/search?q=${encodeURIComponent(submitted.q)}`),
    enabled: submitted.q.length > 0,
  })
  return (
    <div className="flex flex-col gap-2">
      <form
        role="search"
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault()
          setSubmitted((old) => ({ q: query.trim(), n: old.n + 1 }))
        }}
      >
        <label className="flex flex-1 flex-col gap-1 font-medium">
          {t('diary.search')}
          <input
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            className="min-h-11 rounded-lg border border-border bg-bg px-3 font-normal text-fg"
          />
        </label>
        <Button type="submit">{t('diary.searchButton')}</Button>
      </form>
      {results.isFetching ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{results.error ? describeError(t, results.error) : null}</ErrorText>
      {results.data ? (
        <>
          <p role="status">{t('diary.results', { count: results.data.results.length })}</p>
          <ul className="flex flex-col gap-2">
            {results.data.results.map((hit) => (
              <li key={`${hit.sourceType}-${hit.entryId}`} className="rounded-lg border border-border p-2">
                <p className="text-sm font-medium">
                  {new Date(hit.date + 'T00:00:00').toLocaleDateString(i18n.language, { dateStyle: 'medium' })}
                  {hit.sourceType === 'message' ? ` · ${t('diary.fromChat')}` : ''}
                </p>
                <p>
                  <Highlighted text={hit.snippet} highlights={hit.highlights?.length ? hit.highlights : queryHighlights(hit.snippet, submitted.q)} />
                </p>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  )
}

function Ask() {
  const { t } = useTranslation()
  const id = useId()
  const [question, setQuestion] = useState('')
  const ask = useMutation({
    mutationFn: (q: string) => request<{ answer: string; sources: Source[] }>('/api/rag/query', { method: 'POST', body: { question: q } }),
  })
  return (
    <div className="flex flex-col gap-2">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault()
          if (question.trim()) ask.mutate(question.trim())
        }}
      >
        <div className="flex flex-1 flex-col gap-1">
          <label htmlFor={id} className="font-medium">
            {t('diary.question')}
          </label>
          <input id={id} value={question} onChange={(e) => setQuestion(e.target.value)} className="min-h-11 rounded-lg border border-border bg-bg px-3 text-fg" />
        </div>
        <Button type="submit" disabled={ask.isPending}>
          {t('diary.ask')}
        </Button>
      </form>
      {ask.isPending ? <p role="status">{t('chat.thinking')}</p> : null}
      <ErrorText>{ask.error ? describeError(t, ask.error) : null}</ErrorText>
      {ask.data ? (
        <div role="region" aria-label={t('diary.answer')} className="rounded-lg border border-border bg-surface p-3">
          <p className="whitespace-pre-wrap">{ask.data.answer}</p>
          <Sources sources={ask.data.sources} />
        </div>
      ) : null}
    </div>
  )
}

export default function Diary() {
  const { t } = useTranslation()
  useTitle(t('nav.diary'))
  const [params] = useSearchParams()
  const focus = params.get('entry')
  const queryClient = useQueryClient()
  const entries = useQuery({ queryKey: ['diary'], queryFn: () => request<Page<Entry>>('/api/diary?limit=100') })
  const waiting = useOutbox('/api/diary')
  const online = useOnline()
  const { offline } = useAuth()
  const away = !online || offline
  const older = useMutation({
    mutationFn: (cursor: string) => request<Page<Entry>>(`/api/diary?limit=100&cursor=${encodeURIComponent(cursor)}`),
    onSuccess: (page) =>
      queryClient.setQueryData<Page<Entry>>(['diary'], (old) => ({ items: [...(old?.items ?? []), ...page.items], nextCursor: page.nextCursor })),
  })
  useEffect(() => {
    if (focus && entries.data) document.getElementById(`entry-${focus}`)?.scrollIntoView({ block: 'center' })
  }, [focus, entries.data])
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-6 p-4">
      <PageHeading>{t('nav.diary')}</PageHeading>
      <section aria-labelledby="diary-write" className="flex flex-col gap-3">
        <h2 id="diary-write" className="text-lg font-semibold">
          {t('diary.write')}
        </h2>
        <EntryForm />
      </section>
      <section aria-labelledby="diary-search" className="flex flex-col gap-3">
        <h2 id="diary-search" className="text-lg font-semibold">
          {t('diary.searchHeading')}
        </h2>
        <Search />
        <Ask />
      </section>
      <section aria-labelledby="diary-import" className="flex flex-col gap-3">
        <h2 id="diary-import" className="text-lg font-semibold">
          {t('diary.importHeading')}
        </h2>
        <Import />
      </section>
      <section aria-labelledby="diary-entries" className="flex flex-col gap-3">
        <h2 id="diary-entries" className="text-lg font-semibold">
          {t('diary.entries')}
        </h2>
        {entries.isLoading && entries.fetchStatus !== 'paused' ? <p>{t('common.loading')}</p> : null}
        {away ? <p className="text-sm text-muted">{entries.data ? t('offline.fromDevice') : t('offline.nothingKept')}</p> : null}
        <ErrorText>{entries.error && !away ? describeError(t, entries.error) : null}</ErrorText>
        {entries.data && entries.data.items.length === 0 && waiting.length === 0 ? <p className="text-muted">{t('diary.none')}</p> : null}
        <ul className="flex flex-col gap-3">
          {waiting.map((item) => <PendingItem key={item.key} item={item} />)}
          {entries.data?.items.map((entry) => <EntryItem key={entry.id} entry={entry} focused={entry.id === focus} />)}
        </ul>
        {entries.data?.nextCursor ? (
          <Button variant="secondary" className="self-start" onClick={() => older.mutate(entries.data!.nextCursor!)} disabled={older.isPending}>
            {t('diary.older')}
          </Button>
        ) : null}
        <ErrorText>{older.error ? describeError(t, older.error) : null}</ErrorText>
      </section>
    </div>
  )
}
