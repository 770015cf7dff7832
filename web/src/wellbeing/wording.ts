import { useTranslation } from 'react-i18next'
import type { Assessment } from './bands'

/** The locale section of each questionnaire. */
export function assessmentKey(id: string): string {
  return id.replace(/[^a-z0-9]/gi, '').toLowerCase()
}

/** A questionnaire's wording in the page's language: English is the server's published
 *  wording as is; other languages use their translation of it (the English when missing). */
export function useAssessmentText(assessment: Assessment) {
  const { t, i18n } = useTranslation()
  const key = assessmentKey(assessment.id)
  const english = i18n.language.startsWith('en')
  const say = (path: string, fallback: string) => (english ? fallback : t(path, { defaultValue: fallback }))
  const scale = key === 'who5' ? 'who5' : 'frequency'
  return {
    key,
    title: say(`checkins.instruments.${key}.title`, assessment.title),
    prompt: say(`checkins.instruments.${key}.prompt`, assessment.prompt),
    items: assessment.items.map((item, i) => say(`checkins.instruments.${key}.items.${i}`, item)),
    option: (value: number, label: string) => say(`checkins.options.${scale}.${value}`, label),
  }
}
