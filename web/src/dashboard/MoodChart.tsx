import { useEffect, useId, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Button } from '../components/ui'
import { MOOD_FRAME, marksByDay, pathOf, segments, xOf, yOf, type Mark } from './chart'

export interface MoodTrend {
  labels: string[]
  values: (number | null)[]
  days: string[]
}

const TICKS = [1, 4, 7, 10]
const NARROW = '(max-width: 639px)'

/** A narrower drawing on phones, so its words stay readable once scaled to the screen. */
function useFrame() {
  const [narrow, setNarrow] = useState(() => typeof window !== 'undefined' && !!window.matchMedia?.(NARROW).matches)
  useEffect(() => {
    const media = window.matchMedia?.(NARROW)
    if (!media) return
    const update = () => setNarrow(media.matches)
    media.addEventListener('change', update)
    return () => media.removeEventListener('change', update)
  }, [])
  return narrow ? { ...MOOD_FRAME, width: 360, height: 220, left: 28 } : MOOD_FRAME
}

/** The mood line (broken on days with no mood), questionnaire results marked on their
 *  days, and the same figures as a table for screen readers (or anyone, on request). */
export function MoodChart({ trend, marks }: { trend: MoodTrend; marks: Mark[] }) {
  const { t, i18n } = useTranslation()
  const id = useId()
  const [showTable, setShowTable] = useState(false)
  const F = useFrame()
  const count = trend.days.length
  const runs = segments(trend.values)
  const marked = marksByDay(trend.days, marks)
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1 })
  const dayName = (day: string) =>
    new Intl.DateTimeFormat(i18n.language, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`))
  const labelEvery = count > 10 ? (F.width < 500 ? 7 : 5) : 1
  const bottom = F.height - F.bottom
  return (
    <figure className="flex flex-col gap-2" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} className="sr-only">
        {t('dashboard.chartCaption', { count })}
      </figcaption>
      <svg viewBox={`0 0 ${F.width} ${F.height}`} className="h-auto w-full text-fg" aria-hidden="true" focusable="false">
        {TICKS.map((tick) => (
          <g key={tick}>
            <line x1={F.left} x2={F.width - F.right} y1={yOf(F, tick)} y2={yOf(F, tick)} className="stroke-border" strokeDasharray="3 4" />
            <text x={F.left - 8} y={yOf(F, tick) + 4} textAnchor="end" className="fill-muted text-[12px]">
              {tick}
            </text>
          </g>
        ))}
        {trend.days.map((day, i) =>
          i % labelEvery === 0 || i === count - 1 ? (
            <text key={day} x={xOf(F, i, count)} y={bottom + 18} textAnchor={i === 0 ? 'start' : i === count - 1 ? 'end' : 'middle'} className="fill-muted text-[11px]">
              {trend.labels[i] ?? day.slice(5)}
            </text>
          ) : null,
        )}
        {runs.filter((run) => run.length > 1).map((run) => (
          <path key={run[0].index} d={pathOf(F, run, count)} fill="none" className="stroke-accent" strokeWidth={3} strokeLinejoin="round" strokeLinecap="round" />
        ))}
        {runs.flat().map((p) => (
          <circle key={p.index} cx={xOf(F, p.index, count)} cy={yOf(F, p.value)} r={4.5} className="fill-accent" data-day={trend.days[p.index]} />
        ))}
        {[...marked.entries()].map(([i, list]) => (
          <g key={i} data-mark-day={trend.days[i]}>
            <line x1={xOf(F, i, count)} x2={xOf(F, i, count)} y1={F.top} y2={bottom} className="stroke-link" strokeWidth={1.5} strokeDasharray="2 3" />
            <rect x={xOf(F, i, count) - 5} y={F.top - 2} width={10} height={10} transform={`rotate(45 ${xOf(F, i, count)} ${F.top + 3})`} className="fill-link" />
            <text
              x={xOf(F, i, count) + (i > count / 2 ? -10 : 10)}
              y={F.top + 8}
              textAnchor={i > count / 2 ? 'end' : 'start'}
              className="fill-fg text-[11px]"
            >
              {list.map((m) => `${m.assessment.toUpperCase()} ${m.score}`).join(', ')}
            </text>
          </g>
        ))}
      </svg>
      <p className="text-sm text-muted">{t('dashboard.chartLegend')}</p>
      <Button variant="secondary" className="self-start" aria-expanded={showTable} aria-controls={`${id}-table`} onClick={() => setShowTable((v) => !v)}>
        {showTable ? t('dashboard.hideTable') : t('dashboard.showTable')}
      </Button>
      {/* a table does not shrink to sr-only's 1px: its wrapper hides it */}
      <div id={`${id}-table`} className={showTable ? 'overflow-x-auto' : 'sr-only'}>
        <table className="text-sm">
          <caption className="text-left font-medium">{t('dashboard.tableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col" className="pr-4 text-left">
                {t('dashboard.day')}
              </th>
              <th scope="col" className="pr-4 text-left">
                {t('dashboard.mood')}
              </th>
              <th scope="col" className="text-left">
                {t('dashboard.checkins')}
              </th>
            </tr>
          </thead>
          <tbody>
            {trend.days.map((day, i) => {
              const value = trend.values[i]
              return (
                <tr key={day} data-day={day}>
                  <th scope="row" className="pr-4 text-left font-normal">
                    {dayName(day)}
                  </th>
                  <td className="pr-4">{value === null ? t('dashboard.noMood') : number.format(value)}</td>
                  <td>{(marked.get(i) ?? []).map((m) => t('dashboard.markText', { name: m.assessment.toUpperCase(), score: m.score, max: m.maxScore })).join('; ') || '—'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </figure>
  )
}
