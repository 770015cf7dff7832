import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { Button, ErrorText, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import type { Assessment } from '../wellbeing/bands'
import { History } from '../wellbeing/History'
import { Questionnaire } from '../wellbeing/Questionnaire'
import { useAssessmentText } from '../wellbeing/wording'

function Choice({ assessment, onStart }: { assessment: Assessment; onStart: () => void }) {
  const { t } = useTranslation()
  const text = useAssessmentText(assessment)
  return (
    <li className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 className="text-lg font-semibold">{text.title}</h2>
      <p className="text-sm text-muted">{t(`checkins.about.${text.key}`, { count: assessment.items.length })}</p>
      <Button className="self-start" onClick={onStart} aria-label={t('checkins.startNamed', { title: text.title })}>
        {t('checkins.start')}
      </Button>
      <History assessment={assessment} />
    </li>
  )
}

export default function CheckIns() {
  const { t } = useTranslation()
  useTitle(t('checkins.nav'))
  const [active, setActive] = useState<string | null>(null)
  const assessments = useQuery({ queryKey: ['assessments'], queryFn: () => request<Assessment[]>('/api/assessments'), staleTime: Infinity })
  const current = assessments.data?.find((a) => a.id === active)
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('checkins.heading')}</PageHeading>
      <p className="text-muted">{t('checkins.intro')}</p>
      {assessments.isLoading ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{assessments.error ? describeError(t, assessments.error) : null}</ErrorText>
      {current ? (
        <Questionnaire key={current.id} assessment={current} onClose={() => setActive(null)} />
      ) : (
        <ul className="flex flex-col gap-4">
          {(assessments.data ?? []).map((assessment) => (
            <Choice key={assessment.id} assessment={assessment} onStart={() => setActive(assessment.id)} />
          ))}
        </ul>
      )}
    </div>
  )
}
