// Questionnaire pieces without React: which band a score is in and how to say it.

export interface Option {
  value: number
  label: string
}

export interface Band {
  low: number
  high: number
  severity: string
}

export interface Assessment {
  id: string
  title: string
  prompt: string
  items: string[]
  options: Option[]
  bands: Band[]
  maxScore: number
  better: 'lower' | 'higher'
}

export interface ResponseItem {
  id: string
  assessmentId: string
  answers: number[]
  score: number
  maxScore: number
  severity: string
  flagged: boolean
  createdAt: string
}

export interface Submitted extends ResponseItem {
  crisis: boolean
  crisisResources: string | null
}

export interface History {
  items: ResponseItem[]
  trend: { latest: number | null; previous: number | null; change: number | null; direction: 'improving' | 'worsening' | 'steady' | null }
}

export const ASSESSMENT_IDS = ['phq-9', 'gad-7', 'who-5'] as const
export type AssessmentId = (typeof ASSESSMENT_IDS)[number]

/** PHQ-9 item 9 (thoughts of being better off dead or of self-harm), zero-based. */
export const PHQ9_SELF_HARM_ITEM = 8

/** True when an answer calls for the crisis resources at once: PHQ-9 item 9 above 0. */
export function needsCrisisHelp(assessmentId: string, answers: readonly (number | null)[]): boolean {
  return assessmentId === 'phq-9' && (answers[PHQ9_SELF_HARM_ITEM] ?? 0) > 0
}

/** The band a score falls in (inclusive bounds), or null when outside every band. */
export function bandFor(bands: readonly Band[], score: number): Band | null {
  return bands.find((band) => band.low <= score && score <= band.high) ?? null
}

/** The translation key part for a severity: "moderately severe" -> "moderately_severe". */
export function severityKey(severity: string): string {
  return severity.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_')
}

/** Whether a change in score is for the better, given which way is better. */
export function changeWord(change: number | null, better: 'lower' | 'higher'): 'better' | 'worse' | 'same' | null {
  if (change === null) return null
  if (change === 0) return 'same'
  return (change < 0) === (better === 'lower') ? 'better' : 'worse'
}

/** The next question to show after answering `index` (null: all answered). */
export function nextIndex(answers: readonly (number | null)[], index: number): number | null {
  for (let i = index + 1; i < answers.length; i++) if (answers[i] === null) return i
  for (let i = 0; i <= index && i < answers.length; i++) if (answers[i] === null) return i
  return null
}
