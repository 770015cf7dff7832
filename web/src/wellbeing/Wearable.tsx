import { useId } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'

export interface DailySummary {
  day: string
  steps: number | null
  sleepMinutes: number | null
  heartRate: { average: number; min: number; max: number; samples: number } | null
}

/** Today's wearable figures; nothing at all when no device sent any. */
export function Wearable() {
  const { t, i18n } = useTranslation()
  const id = useId()
  const daily = useQuery({ queryKey: ['sensors', 'daily'], queryFn: () => request<DailySummary[]>('/api/sensors/daily') })
  const today = daily.data?.at(-1)
  if (!today || (today.steps === null && today.sleepMinutes === null && today.heartRate === null)) return null
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 0 })
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-2 rounded-lg border border-border p-4">
      <h2 id={`${id}-h`} className="text-xl font-semibold">
        {t('wellbeing.wearable.title')}
      </h2>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        {today.steps !== null ? (
          <>
            <dt className="font-medium">{t('wellbeing.wearable.steps')}</dt>
            <dd>{number.format(today.steps)}</dd>
          </>
        ) : null}
        {today.sleepMinutes !== null ? (
          <>
            <dt className="font-medium">{t('wellbeing.wearable.sleep')}</dt>
            <dd>{t('wellbeing.wearable.sleepValue', { hours: Math.floor(today.sleepMinutes / 60), minutes: today.sleepMinutes % 60 })}</dd>
          </>
        ) : null}
        {today.heartRate !== null ? (
          <>
            <dt className="font-medium">{t('wellbeing.wearable.heartRate')}</dt>
            <dd>
              {t('wellbeing.wearable.heartRateValue', {
                average: number.format(today.heartRate.average),
                min: number.format(today.heartRate.min),
                max: number.format(today.heartRate.max),
              })}
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  )
}
