import { useId, useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Page } from '../api/types'
import { Button, ErrorText, Field } from '../components/ui'
import { postCreating, QueuedOffline } from '../offline/outbox'

export interface MoodEntry {
  id: string
  score: number
  note: string
  tags: string[]
  loggedAt: string
  createdAt: string
}

const SCORES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const

function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((tag) => tag.trim()).filter(Boolean))]
}

/** A quick mood log: 1 to 10, a note and tags; saved through the offline-capable outbox. */
export function MoodLog() {
  const { t, i18n } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const [score, setScore] = useState<number | null>(null)
  const [note, setNote] = useState('')
  const [tags, setTags] = useState('')
  const [saved, setSaved] = useState<'sent' | 'onDevice' | null>(null)
  const recent = useQuery({ queryKey: ['mood', 'recent'], queryFn: () => request<Page<MoodEntry>>('/api/mood?limit=5') })
  const save = useMutation({
    // 'always': offline the log must reach postCreating, which keeps it on the device
    networkMode: 'always',
    mutationFn: async (): Promise<'sent' | 'onDevice'> => {
      try {
        await postCreating('/api/mood', { score, note, tags: parseTags(tags) })
        return 'sent'
      } catch (error) {
        if (error instanceof QueuedOffline) return 'onDevice'
        throw error
      }
    },
    onSuccess: (outcome) => {
      setSaved(outcome)
      setScore(null)
      setNote('')
      setTags('')
      void queryClient.invalidateQueries({ queryKey: ['mood'] })
      void queryClient.invalidateQueries({ queryKey: ['analytics'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
      void queryClient.invalidateQueries({ queryKey: ['insights'] })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved(null)
    if (score !== null) save.mutate()
  }
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 id={`${id}-h`} className="text-xl font-semibold">
        {t('wellbeing.mood.title')}
      </h2>
      <form onSubmit={submit} className="flex flex-col gap-3">
        <fieldset aria-describedby={`${id}-scale`}>
          <legend className="font-medium">{t('wellbeing.mood.score')}</legend>
          <p id={`${id}-scale`} className="text-sm text-muted">
            {t('wellbeing.mood.scale')}
          </p>
          <div className="mt-1 flex flex-wrap gap-1">
            {SCORES.map((value) => (
              <label
                key={value}
                className="inline-flex min-h-11 min-w-11 cursor-pointer items-center justify-center rounded-lg border border-border font-medium has-checked:bg-accent has-checked:text-accent-fg has-focus-visible:outline has-focus-visible:outline-3"
              >
                <input type="radio" name={`${id}-score`} value={value} checked={score === value} onChange={() => setScore(value)} className="sr-only" />
                {value}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="flex flex-col gap-1">
          <label htmlFor={`${id}-note`} className="font-medium">
            {t('wellbeing.mood.note')}
          </label>
          <textarea id={`${id}-note`} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} className="rounded-lg border border-border bg-bg px-3 py-2 text-fg" />
        </div>
        <Field label={t('wellbeing.mood.tags')} hint={t('wellbeing.mood.tagsHint')} value={tags} onChange={(e) => setTags(e.target.value)} />
        <ErrorText>{save.error ? describeError(t, save.error) : null}</ErrorText>
        {score === null && !saved ? <p className="text-sm text-muted">{t('wellbeing.mood.pick')}</p> : null}
        {saved ? <p role="status">{saved === 'sent' ? t('wellbeing.mood.saved') : t('wellbeing.mood.savedOnDevice')}</p> : null}
        <Button type="submit" className="self-start" disabled={score === null || save.isPending}>
          {t('wellbeing.mood.log')}
        </Button>
      </form>
      {recent.data?.items.length ? (
        <div>
          <h3 className="font-medium">{t('wellbeing.mood.recent')}</h3>
          <ul className="flex flex-col gap-1">
            {recent.data.items.map((entry) => (
              <li key={entry.id} className="text-sm">
                <span className="font-semibold">{t('wellbeing.mood.outOf', { score: entry.score })}</span> · {when.format(new Date(entry.loggedAt))}
                {entry.note ? ` · ${entry.note}` : ''}
                {entry.tags.length ? ` · ${entry.tags.map((tag) => `#${tag}`).join(' ')}` : ''}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}
