import { describe, expect, it } from 'vitest'
import { bandFor, changeWord, needsCrisisHelp, nextIndex, severityKey } from './bands'

const PHQ9_BANDS = [
  { low: 0, high: 4, severity: 'minimal' },
  { low: 5, high: 9, severity: 'mild' },
  { low: 10, high: 14, severity: 'moderate' },
  { low: 15, high: 19, severity: 'moderately severe' },
  { low: 20, high: 27, severity: 'severe' },
]

describe('questionnaire bands', () => {
  it('finds the band at its edges', () => {
    expect(bandFor(PHQ9_BANDS, 0)?.severity).toBe('minimal')
    expect(bandFor(PHQ9_BANDS, 4)?.severity).toBe('minimal')
    expect(bandFor(PHQ9_BANDS, 5)?.severity).toBe('mild')
    expect(bandFor(PHQ9_BANDS, 19)?.severity).toBe('moderately severe')
    expect(bandFor(PHQ9_BANDS, 27)?.severity).toBe('severe')
    expect(bandFor(PHQ9_BANDS, 28)).toBeNull()
  })

  it('turns a severity into a translation key', () => {
    expect(severityKey('moderately severe')).toBe('moderately_severe')
    expect(severityKey('poor wellbeing')).toBe('poor_wellbeing')
  })

  it('shows the crisis resources for PHQ-9 item 9 above 0 only', () => {
    const answers = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    expect(needsCrisisHelp('phq-9', answers)).toBe(true)
    expect(needsCrisisHelp('phq-9', [...answers.slice(0, 8), 0])).toBe(false)
    expect(needsCrisisHelp('phq-9', [0, 0, 0])).toBe(false)
    expect(needsCrisisHelp('gad-7', [3, 3, 3, 3, 3, 3, 3, 3, 3])).toBe(false)
  })

  it('says whether a change is for the better', () => {
    expect(changeWord(-3, 'lower')).toBe('better')
    expect(changeWord(3, 'lower')).toBe('worse')
    expect(changeWord(8, 'higher')).toBe('better')
    expect(changeWord(0, 'higher')).toBe('same')
    expect(changeWord(null, 'higher')).toBeNull()
  })

  it('moves to the next unanswered question', () => {
    expect(nextIndex([1, null, null], 0)).toBe(1)
    expect(nextIndex([null, 1, 2], 2)).toBe(0)
    expect(nextIndex([1, 1, 1], 1)).toBeNull()
  })
})
