// The mindfulness timer and its breathing guide, as pure functions of elapsed time.

export type Phase = 'in' | 'hold' | 'out'

/** Seconds of each breathing phase: in for 4, hold for 2, out for 6. */
export const BREATH: readonly { phase: Phase; seconds: number }[] = [
  { phase: 'in', seconds: 4 },
  { phase: 'hold', seconds: 2 },
  { phase: 'out', seconds: 6 },
]
export const BREATH_CYCLE = BREATH.reduce((sum, step) => sum + step.seconds, 0)

/** The durations offered, in minutes. */
export const DURATIONS = [1, 3, 5, 10] as const

export interface TimerState {
  remainingMs: number
  done: boolean
  phase: Phase
  /** whole seconds left in the current phase */
  phaseLeft: number
  /** 0 (small circle) to 1 (full): how far the breath is in */
  fill: number
}

/** Where the session is after `elapsedMs` of `totalMs`. */
export function timerState(elapsedMs: number, totalMs: number): TimerState {
  const elapsed = Math.max(0, Math.min(elapsedMs, totalMs))
  const remainingMs = totalMs - elapsed
  let within = (elapsed / 1000) % BREATH_CYCLE
  let phase: Phase = 'in'
  let length = BREATH[0].seconds
  for (const step of BREATH) {
    if (within < step.seconds) {
      phase = step.phase
      length = step.seconds
      break
    }
    within -= step.seconds
  }
  const progress = within / length
  const fill = phase === 'in' ? progress : phase === 'hold' ? 1 : 1 - progress
  return { remainingMs, done: remainingMs <= 0, phase, phaseLeft: Math.max(1, Math.ceil(length - within)), fill }
}

/** "m:ss" for a countdown. */
export function clock(ms: number): string {
  const seconds = Math.ceil(Math.max(0, ms) / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

/** The minutes to record for a session stopped after `elapsedMs` (at least a second's worth,
 *  to two decimals), or null when too short to count. */
export function minutesToRecord(elapsedMs: number): number | null {
  if (elapsedMs < 1000) return null
  return Math.round((elapsedMs / 60_000) * 100) / 100
}
