// The mood chart's geometry, kept pure so the gap rules can be tested without a browser.

export interface Point {
  index: number
  value: number
}

/** Runs of consecutive days that have a value: a day with none breaks the line, so an
 *  empty day shows as a gap instead of a slope drawn through it. */
export function segments(values: readonly (number | null)[]): Point[][] {
  const out: Point[][] = []
  let run: Point[] = []
  values.forEach((value, index) => {
    if (value === null || Number.isNaN(value)) {
      if (run.length) out.push(run)
      run = []
    } else {
      run.push({ index, value })
    }
  })
  if (run.length) out.push(run)
  return out
}

export interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
  min: number
  max: number
}

export const MOOD_FRAME: Frame = { width: 640, height: 240, left: 36, right: 12, top: 12, bottom: 28, min: 1, max: 10 }

/** The x of the day at `index` of `count` days, spread across the plot. */
export function xOf(frame: Frame, index: number, count: number): number {
  const inner = frame.width - frame.left - frame.right
  if (count <= 1) return frame.left + inner / 2
  return frame.left + (inner * index) / (count - 1)
}

/** The y of a value on the frame's scale (higher values higher up). */
export function yOf(frame: Frame, value: number): number {
  const clamped = Math.min(frame.max, Math.max(frame.min, value))
  const inner = frame.height - frame.top - frame.bottom
  return frame.top + inner * (1 - (clamped - frame.min) / (frame.max - frame.min))
}

/** An SVG path through one run; a lone day is a dot (the caller draws it), not a path. */
export function pathOf(frame: Frame, run: readonly Point[], count: number): string {
  return run.map((p, i) => `${i === 0 ? 'M' : 'L'}${xOf(frame, p.index, count).toFixed(1)},${yOf(frame, p.value).toFixed(1)}`).join(' ')
}

/** A calendar day (YYYY-MM-DD) of an instant, in a time zone. */
export function dayIn(instant: string | Date, timeZone: string): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)
  } catch {
    return date.toISOString().slice(0, 10)
  }
}

export interface Mark {
  day: string
  assessment: string
  score: number
  maxScore: number
  severity: string
}

/** The questionnaire results that fall on the chart's days, by the day's index. */
export function marksByDay(days: readonly string[], marks: readonly Mark[]): Map<number, Mark[]> {
  const index = new Map(days.map((day, i) => [day, i]))
  const out = new Map<number, Mark[]>()
  for (const mark of marks) {
    const at = index.get(mark.day)
    if (at === undefined) continue
    out.set(at, [...(out.get(at) ?? []), mark])
  }
  return out
}

/** Mean of the values that exist; null when none. */
export function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null)
  if (!present.length) return null
  return present.reduce((a, b) => a + b, 0) / present.length
}
