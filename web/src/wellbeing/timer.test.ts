import { describe, expect, it } from 'vitest'
import { BREATH_CYCLE, clock, minutesToRecord, timerState } from './timer'

describe('mindfulness timer', () => {
  it('starts breathing in with an empty circle', () => {
    const state = timerState(0, 60_000)
    expect(state).toMatchObject({ phase: 'in', fill: 0, done: false, remainingMs: 60_000, phaseLeft: 4 })
  })

  it('holds after four seconds and breathes out after six', () => {
    expect(timerState(4_000, 60_000)).toMatchObject({ phase: 'hold', fill: 1 })
    expect(timerState(6_000, 60_000).phase).toBe('out')
    expect(timerState(9_000, 60_000).fill).toBeCloseTo(0.5)
    expect(timerState(BREATH_CYCLE * 1000, 60_000).phase).toBe('in')
  })

  it('is done when the time is up and never counts past it', () => {
    expect(timerState(60_000, 60_000).done).toBe(true)
    expect(timerState(90_000, 60_000).remainingMs).toBe(0)
  })

  it('shows the countdown as m:ss', () => {
    expect(clock(180_000)).toBe('3:00')
    expect(clock(59_001)).toBe('1:00')
    expect(clock(5_000)).toBe('0:05')
    expect(clock(-1)).toBe('0:00')
  })

  it('records minutes with two decimals, nothing under a second', () => {
    expect(minutesToRecord(60_000)).toBe(1)
    expect(minutesToRecord(90_000)).toBe(1.5)
    expect(minutesToRecord(500)).toBeNull()
  })
})
