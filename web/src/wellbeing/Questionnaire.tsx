import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { CrisisBanner } from '../chat/crisis'
import { Button, ErrorText } from '../components/ui'
import { bandFor, needsCrisisHelp, severityKey, type Assessment, type Submitted } from './bands'
import { useAssessmentText } from './wording'

/** One questionnaire, one question at a time; the result (and the crisis resources first,
 *  when an answer calls for them) when done. */
export function Questionnaire({ assessment, onClose }: { assessment: Assessment; onClose: () => void }) {
  const { t, i18n } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const text = useAssessmentText(assessment)
  const [answers, setAnswers] = useState<(number | null)[]>(() => assessment.items.map(() => null))
  const [index, setIndex] = useState(0)
  const [result, setResult] = useState<Submitted | null>(null)
  const questionRef = useRef<HTMLFieldSetElement>(null)
  const resultRef = useRef<HTMLHeadingElement>(null)
  const formRef = useRef<HTMLFormElement>(null)
  const crisisNow = needsCrisisHelp(assessment.id, answers)
  const resources = useQuery({
    queryKey: ['crisis-resources', i18n.language],
    queryFn: () => request<{ resources: string }>('/api/crisis-resources'),
    enabled: crisisNow,
    staleTime: 5 * 60_000,
  })
  const submit = useMutation({
    mutationFn: () => request<Submitted>(`/api/assessments/${assessment.id}/responses`, { method: 'POST', body: { answers } }),
    onSuccess: (submitted) => {
      setResult(submitted)
      void queryClient.invalidateQueries({ queryKey: ['assessment-history', assessment.id] })
      void queryClient.invalidateQueries({ queryKey: ['analytics'] })
      void queryClient.invalidateQueries({ queryKey: ['insights'] })
      void queryClient.invalidateQueries({ queryKey: ['stats'] })
    },
  })
  useEffect(() => {
    // each question takes the focus: its chosen answer, else its first one (arrows pick)
    if (result) return
    const radios = questionRef.current?.querySelectorAll<HTMLInputElement>('input[type=radio]')
    const checked = [...(radios ?? [])].find((radio) => radio.checked)
    ;(checked ?? radios?.[0])?.focus()
  }, [index, result])
  useEffect(() => {
    if (result) resultRef.current?.focus()
  }, [result])
  const last = index === assessment.items.length - 1
  const current = answers[index]
  const next = (event: FormEvent) => {
    event.preventDefault()
    if (current === null) return
    if (last) submit.mutate()
    else setIndex(index + 1)
  }
  const enterGoesNext = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      formRef.current?.requestSubmit()
    }
  }
  const crisisText = result?.crisisResources ?? (crisisNow ? resources.data?.resources : null)
  const band = result ? bandFor(assessment.bands, result.score) : null
  return (
    <div className="flex flex-col gap-4">
      {crisisText ? <CrisisBanner resources={crisisText} /> : null}
      {crisisNow && !crisisText ? <p role="alert" className="rounded-lg border-2 border-danger bg-danger-soft p-3 font-bold">{t('crisis.heading')}</p> : null}
      {result ? (
        <section aria-labelledby={`${id}-result`} className="flex flex-col gap-3 rounded-lg border border-border p-4">
          <h2 id={`${id}-result`} ref={resultRef} tabIndex={-1} className="text-xl font-semibold">
            {t('checkins.resultHeading', { title: text.title })}
          </h2>
          <p className="text-lg" data-testid="checkin-score">
            {t('checkins.score', { score: result.score, max: result.maxScore })}
          </p>
          <p className="text-lg font-semibold">{t(`checkins.bands.${severityKey(band?.severity ?? result.severity)}`, { defaultValue: result.severity })}</p>
          <p>{t(`checkins.meaning.${text.key}`)}</p>
          <p className="rounded-lg bg-surface p-3">{t('checkins.notDiagnosis')}</p>
          {result.flagged ? <p>{t('checkins.flagged')}</p> : null}
          <Button className="self-start" onClick={onClose}>
            {t('checkins.done')}
          </Button>
        </section>
      ) : (
        <form ref={formRef} onSubmit={next} className="flex flex-col gap-4 rounded-lg border border-border p-4">
          <p className="text-sm text-muted">{t('checkins.progress', { n: index + 1, total: assessment.items.length })}</p>
          <p id={`${id}-prompt`} className="text-muted">
            {text.prompt}
          </p>
          <fieldset ref={questionRef} className="flex flex-col gap-3" aria-describedby={`${id}-prompt`}>
            <legend className="mb-2 text-xl font-semibold">{text.items[index]}</legend>
            <div className="flex flex-col gap-2">
              {assessment.options.map((option) => (
                <label
                  key={option.value}
                  className="flex min-h-11 cursor-pointer items-center gap-3 rounded-lg border border-border px-3 py-2 has-checked:border-accent has-checked:bg-accent-soft"
                >
                  <input
                    type="radio"
                    name={`${id}-q${index}`}
                    value={option.value}
                    checked={current === option.value}
                    onChange={() => setAnswers((all) => all.map((a, i) => (i === index ? option.value : a)))}
                    onKeyDown={enterGoesNext}
                  />
                  {text.option(option.value, option.label)}
                </label>
              ))}
            </div>
          </fieldset>
          <ErrorText>{submit.error ? describeError(t, submit.error) : null}</ErrorText>
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => (index === 0 ? onClose() : setIndex(index - 1))}>
              {index === 0 ? t('common.cancel') : t('checkins.back')}
            </Button>
            <Button type="submit" disabled={current === null || submit.isPending}>
              {last ? t('checkins.finish') : t('checkins.next')}
            </Button>
          </div>
          <p className="text-sm text-muted">{t('checkins.keys')}</p>
        </form>
      )}
    </div>
  )
}
