import { describe, expect, it } from 'vitest'
import { daysBefore, lastDays, todayIn } from './days'

describe('days', () => {
  it('counts back across a month end', () => {
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28')
    expect(lastDays('2026-01-02', 3)).toEqual(['2025-12-31', '2026-01-01', '2026-01-02'])
  })

  it('finds today in the user time zone', () => {
    const late = new Date('2026-05-01T20:00:00Z')
    expect(todayIn('UTC', late)).toBe('2026-05-01')
    expect(todayIn('Asia/Ho_Chi_Minh', late)).toBe('2026-05-02')
  })
})
