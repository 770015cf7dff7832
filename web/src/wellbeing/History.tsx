import { useId } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { bandFor, changeWord, severityKey, type Assessment, type History as HistoryData } from './bands'
import { useAssessmentText } from './wording'

/** Past results of one questionnaire, newest first, with the change since the one before. */
export function History({ assessment }: { assessment: Assessment }) {
  const { t, i18n } = useTranslation()
  const id = useId()
  const text = useAssessmentText(assessment)
  const history = useQuery({
    queryKey: ['assessment-history', assessment.id],
    queryFn: () => request<HistoryData>(`/api/assessments/${assessment.id}/responses`),
  })
  const items = history.data?.items ?? []
  const trend = history.data?.trend
  const word = trend ? changeWord(trend.change, assessment.better) : null
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium' })
  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-2">
      <h3 id={`${id}-h`} className="font-semibold">
        {t('checkins.historyOf', { title: text.title })}
      </h3>
      {history.data && !items.length ? <p className="text-sm text-muted">{t('checkins.noHistory')}</p> : null}
      {word && trend?.change !== null && trend ? (
        <p data-testid={`trend-${assessment.id}`}>{t(`checkins.trend.${word}`, { change: Math.abs(trend.change ?? 0) })}</p>
      ) : null}
      {items.length ? (
        <table className="text-sm">
          <caption className="sr-only">{t('checkins.historyOf', { title: text.title })}</caption>
          <thead>
            <tr>
              <th scope="col" className="pr-4 text-left">
                {t('checkins.date')}
              </th>
              <th scope="col" className="pr-4 text-left">
                {t('checkins.scoreCol')}
              </th>
              <th scope="col" className="text-left">
                {t('checkins.band')}
              </th>
            </tr>
          </thead>
          <tbody>
            {items.slice(0, 10).map((item) => (
              <tr key={item.id}>
                <td className="pr-4">{when.format(new Date(item.createdAt))}</td>
                <td className="pr-4">{t('checkins.score', { score: item.score, max: item.maxScore })}</td>
                <td>{t(`checkins.bands.${severityKey(bandFor(assessment.bands, item.score)?.severity ?? item.severity)}`, { defaultValue: item.severity })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
