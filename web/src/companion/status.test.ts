import { describe, expect, it } from 'vitest'
import { etaParts, inProgress, percentDone } from './status'

describe('fine-tune status', () => {
  it('polls only while queued or training', () => {
    expect(inProgress('queued')).toBe(true)
    expect(inProgress('training')).toBe(true)
    expect(inProgress('ready')).toBe(false)
    expect(inProgress('cancelled')).toBe(false)
    expect(inProgress(undefined)).toBe(false)
  })

  it('turns steps into a percentage', () => {
    expect(percentDone(5, 20)).toBe(25)
    expect(percentDone(0, null)).toBeNull()
    expect(percentDone(30, 20)).toBe(100)
  })

  it('says the time left in sensible units', () => {
    expect(etaParts(null)).toBeNull()
    expect(etaParts(0.2)).toEqual([1, 'seconds'])
    expect(etaParts(125)).toEqual([2, 'minutes'])
    expect(etaParts(5400)).toEqual([1.5, 'hours'])
  })
})
