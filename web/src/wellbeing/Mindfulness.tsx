import { useEffect, useId, useRef, useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Page } from '../api/types'
import { Button, ErrorText } from '../components/ui'
import { usePrefersReducedMotion } from './motion'
import { BREATH, DURATIONS, clock, timerState } from './timer'

interface Session {
  id: string
  title: string
  durationMin: number
  completedAt: string
}

interface Running {
  startedAt: number
  totalMs: number
  minutes: number
}

/** A timed breathing session; recorded when the time is up. */
export function Mindfulness() {
  const { t, i18n } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const reduced = usePrefersReducedMotion()
  const [minutes, setMinutes] = useState<number>(DURATIONS[0])
  const [running, setRunning] = useState<Running | null>(null)
  const [now, setNow] = useState(() => Date.now())
  const [recorded, setRecorded] = useState<number | null>(null)
  const recording = useRef(false)
  const sessions = useQuery({ queryKey: ['mindfulness'], queryFn: () => request<Page<Session>>('/api/mindfulness/sessions?limit=5') })
  const record = useMutation({
    mutationFn: (durationMin: number) =>
      request<Session>('/api/mindfulness/sessions', { method: 'POST', body: { title: t('wellbeing.mindfulness.sessionTitle'), durationMin } }),
    onSuccess: (session) => {
      setRecorded(session.durationMin)
      void queryClient.invalidateQueries({ queryKey: ['mindfulness'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
      void queryClient.invalidateQueries({ queryKey: ['insights'] })
    },
  })
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(timer)
  }, [running])
  const state = running ? timerState(now - running.startedAt, running.totalMs) : null
  useEffect(() => {
    if (running && state?.done && !recording.current) {
      recording.current = true
      setRunning(null)
      record.mutate(running.minutes)
    }
  }, [running, state?.done, record])
  const start = () => {
    recording.current = false
    setRecorded(null)
    record.reset()
    const at = Date.now()
    setNow(at)
    setRunning({ startedAt: at, totalMs: minutes * 60_000, minutes })
  }
  const scale = state ? 0.45 + 0.55 * state.fill : 0.45
  const phaseText = state ? t(`wellbeing.mindfulness.phase.${state.phase}`) : ''
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 })
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 id={`${id}-h`} className="text-xl font-semibold">
        {t('wellbeing.mindfulness.title')}
      </h2>
      <p className="text-sm text-muted">
        {t('wellbeing.mindfulness.guide', { in: BREATH[0].seconds, hold: BREATH[1].seconds, out: BREATH[2].seconds })}
      </p>
      <fieldset disabled={!!running}>
        <legend className="font-medium">{t('wellbeing.mindfulness.duration')}</legend>
        <div className="mt-1 flex flex-wrap gap-1">
          {DURATIONS.map((value) => (
            <label
              key={value}
              className="inline-flex min-h-11 cursor-pointer items-center rounded-lg border border-border px-3 font-medium has-checked:bg-accent has-checked:text-accent-fg has-focus-visible:outline has-focus-visible:outline-3"
            >
              <input type="radio" name={`${id}-duration`} value={value} checked={minutes === value} onChange={() => setMinutes(value)} className="sr-only" />
              {t('wellbeing.mindfulness.minutes', { count: value })}
            </label>
          ))}
        </div>
      </fieldset>
      {running && state ? (
        <div className="flex flex-col items-center gap-3">
          {reduced ? null : (
            <div aria-hidden="true" className="flex h-48 w-48 items-center justify-center">
              <div
                data-testid="breathing-circle"
                className="h-48 w-48 rounded-full bg-accent-soft ring-4 ring-accent"
                style={{ transform: `scale(${scale})`, transition: 'transform 250ms linear' }}
              />
            </div>
          )}
          <p className="text-2xl font-semibold" data-testid="breathing-phase">
            {phaseText} · {state.phaseLeft}
          </p>
          <p role="timer" aria-label={t('wellbeing.mindfulness.remaining')} className="text-lg tabular-nums">
            {clock(state.remainingMs)}
          </p>
          <Button
            variant="secondary"
            onClick={() => {
              recording.current = true
              setRunning(null)
            }}
          >
            {t('wellbeing.mindfulness.stop')}
          </Button>
          <p className="text-sm text-muted">{t('wellbeing.mindfulness.stopNote')}</p>
        </div>
      ) : (
        <Button className="self-start" onClick={start}>
          {t('wellbeing.mindfulness.start')}
        </Button>
      )}
      <ErrorText>{record.error ? describeError(t, record.error) : null}</ErrorText>
      {recorded !== null ? <p role="status">{t('wellbeing.mindfulness.recorded', { minutes: number.format(recorded) })}</p> : null}
      {sessions.data?.items.length ? (
        <div>
          <h3 className="font-medium">{t('wellbeing.mindfulness.recent')}</h3>
          <ul className="flex flex-col gap-1 text-sm">
            {sessions.data.items.map((session) => (
              <li key={session.id}>
                {t('wellbeing.mindfulness.minutes', { count: session.durationMin })} · {when.format(new Date(session.completedAt))}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}
