import { useId, useState, type FormEvent } from 'react'
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { Button, ErrorText, Field } from '../components/ui'
import { lastDays, longDay, shortDay, todayIn } from './days'

export interface Habit {
  id: string
  name: string
  targetPerWeek: number
  archived: boolean
  checkedToday: boolean
  thisWeek: number
  createdAt: string
}

interface CheckIn {
  habitId: string
  day: string
  createdAt: string
}

/** Check-ins can be added today and up to this many days back (the server's rule). */
export const BACKFILL_DAYS = 7

function AddHabit() {
  const { t } = useTranslation()
  const queryClient = useQueryClient()
  const [name, setName] = useState('')
  const [target, setTarget] = useState('7')
  const targetId = useId()
  const add = useMutation({
    mutationFn: () => request<Habit>('/api/habits', { method: 'POST', body: { name: name.trim(), targetPerWeek: Number(target) } }),
    onSuccess: () => {
      setName('')
      void queryClient.invalidateQueries({ queryKey: ['habits'] })
      void queryClient.invalidateQueries({ queryKey: ['analytics'] })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (name.trim()) add.mutate()
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
      <Field label={t('wellbeing.habits.name')} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      <div className="flex flex-col gap-1">
        <label htmlFor={targetId} className="font-medium">
          {t('wellbeing.habits.target')}
        </label>
        <select id={targetId} value={target} onChange={(e) => setTarget(e.target.value)} className="min-h-11 rounded-lg border border-border bg-bg px-2 text-fg">
          {[1, 2, 3, 4, 5, 6, 7].map((n) => (
            <option key={n} value={n}>
              {t('wellbeing.habits.perWeek', { count: n })}
            </option>
          ))}
        </select>
      </div>
      <Button type="submit" disabled={add.isPending}>
        {t('wellbeing.habits.add')}
      </Button>
      <ErrorText>{add.error ? describeError(t, add.error) : null}</ErrorText>
    </form>
  )
}

/** Habits with a grid of the last eight days: each cell checks in or undoes that day. */
export function Habits({ timeZone }: { timeZone: string }) {
  const { t, i18n } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const today = todayIn(timeZone)
  const days = lastDays(today, BACKFILL_DAYS + 1)
  const habits = useQuery({ queryKey: ['habits'], queryFn: () => request<Habit[]>('/api/habits') })
  const checkIns = useQueries({
    queries: (habits.data ?? []).map((habit) => ({
      queryKey: ['habits', habit.id, 'check-ins', days[0]],
      queryFn: () => request<CheckIn[]>(`/api/habits/${habit.id}/check-ins?from=${days[0]}&to=${today}`),
    })),
  })
  const toggle = useMutation({
    mutationFn: ({ habit, day, done }: { habit: Habit; day: string; done: boolean }) =>
      done
        ? request(`/api/habits/${habit.id}/check-ins/${day}`, { method: 'DELETE' })
        : request(`/api/habits/${habit.id}/check-ins`, { method: 'POST', body: { day } }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['habits'] })
      void queryClient.invalidateQueries({ queryKey: ['analytics'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
    },
  })
  const list = habits.data ?? []
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 id={`${id}-h`} className="text-xl font-semibold">
        {t('wellbeing.habits.title')}
      </h2>
      <p className="text-sm text-muted">{t('wellbeing.habits.intro', { count: BACKFILL_DAYS })}</p>
      {habits.isLoading ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{habits.error ? describeError(t, habits.error) : toggle.error ? describeError(t, toggle.error) : null}</ErrorText>
      {habits.data && !list.length ? <p>{t('wellbeing.habits.none')}</p> : null}
      {list.length ? (
        <div className="overflow-x-auto">
          <table className="border-separate border-spacing-1 text-sm">
            <caption className="sr-only">{t('wellbeing.habits.gridCaption')}</caption>
            <thead>
              <tr>
                <th scope="col" className="text-left">
                  {t('wellbeing.habits.habit')}
                </th>
                {days.map((day) => (
                  <th key={day} scope="col" className="w-11 text-xs font-medium">
                    <abbr title={longDay(day, i18n.language)} className="no-underline">
                      {day === today ? t('wellbeing.habits.today') : shortDay(day, i18n.language)}
                    </abbr>
                  </th>
                ))}
                <th scope="col">{t('wellbeing.habits.week')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((habit, row) => {
                const done = new Set((checkIns[row]?.data ?? []).map((c) => c.day))
                return (
                  <tr key={habit.id}>
                    <th scope="row" className="pr-2 text-left font-medium">
                      {habit.name}
                    </th>
                    {days.map((day) => {
                      const checked = done.has(day)
                      return (
                        <td key={day}>
                          <button
                            type="button"
                            aria-pressed={checked}
                            aria-label={t('wellbeing.habits.cell', { habit: habit.name, day: longDay(day, i18n.language) })}
                            disabled={toggle.isPending || !checkIns[row]?.data}
                            onClick={() => toggle.mutate({ habit, day, done: checked })}
                            className={
                              checked
                                ? 'flex h-11 w-11 items-center justify-center rounded-lg bg-accent font-bold text-accent-fg'
                                : 'flex h-11 w-11 items-center justify-center rounded-lg border border-border bg-bg text-muted hover:bg-surface'
                            }
                          >
                            <span aria-hidden="true">{checked ? '✓' : '·'}</span>
                          </button>
                        </td>
                      )
                    })}
                    <td className="whitespace-nowrap px-1">{t('wellbeing.habits.progress', { done: habit.thisWeek, target: habit.targetPerWeek })}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <AddHabit />
    </section>
  )
}
