import { describe, expect, it } from 'vitest'
import { MOOD_FRAME, dayIn, marksByDay, mean, pathOf, segments, xOf, yOf } from './chart'

describe('mood chart', () => {
  it('breaks the line on days with no mood', () => {
    expect(segments([5, 6, null, 7, null, null, 8])).toEqual([
      [
        { index: 0, value: 5 },
        { index: 1, value: 6 },
      ],
      [{ index: 3, value: 7 }],
      [{ index: 6, value: 8 }],
    ])
  })

  it('has no segments when nothing was logged', () => {
    expect(segments([null, null, null])).toEqual([])
  })

  it('keeps one run when every day has a value', () => {
    expect(segments([1, 2, 3])).toHaveLength(1)
  })

  it('puts the first and last day at the edges and 10 at the top', () => {
    expect(xOf(MOOD_FRAME, 0, 7)).toBe(MOOD_FRAME.left)
    expect(xOf(MOOD_FRAME, 6, 7)).toBe(MOOD_FRAME.width - MOOD_FRAME.right)
    expect(yOf(MOOD_FRAME, 10)).toBe(MOOD_FRAME.top)
    expect(yOf(MOOD_FRAME, 1)).toBe(MOOD_FRAME.height - MOOD_FRAME.bottom)
    expect(yOf(MOOD_FRAME, 99)).toBe(MOOD_FRAME.top)
  })

  it('draws a path per run', () => {
    const [run] = segments([5, 6])
    expect(pathOf(MOOD_FRAME, run, 2)).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+$/)
  })

  it('places questionnaire marks on their day, and drops those outside the range', () => {
    const marks = marksByDay(['2026-01-01', '2026-01-02'], [
      { day: '2026-01-02', assessment: 'phq-9', score: 4, maxScore: 27, severity: 'minimal' },
      { day: '2025-12-01', assessment: 'gad-7', score: 9, maxScore: 21, severity: 'mild' },
    ])
    expect([...marks.keys()]).toEqual([1])
  })

  it('finds the calendar day in the given time zone', () => {
    expect(dayIn('2026-01-01T23:30:00Z', 'UTC')).toBe('2026-01-01')
    expect(dayIn('2026-01-01T23:30:00Z', 'Asia/Ho_Chi_Minh')).toBe('2026-01-02')
  })

  it('averages only the days that have a value', () => {
    expect(mean([4, null, 6])).toBe(5)
    expect(mean([null])).toBeNull()
  })
})
