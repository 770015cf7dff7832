import { describe, expect, it } from 'vitest'
import { transcriptAfter } from './CallPanel'

describe('the live transcript', () => {
  it('adds the person’s final turns and runs the companion’s deltas together', () => {
    let lines = transcriptAfter([], { type: 'transcript', text: 'I feel tired', final: true })
    lines = transcriptAfter(lines, { type: 'transcript', text: 'partial', final: false })
    lines = transcriptAfter(lines, { type: 'delta', text: 'That sounds ' })
    lines = transcriptAfter(lines, { type: 'delta', text: 'hard.' })
    expect(lines).toEqual([
      { who: 'you', text: 'I feel tired' },
      { who: 'companion', text: 'That sounds hard.' },
    ])
  })

  it('marks a reply the person talked over, and starts the next one afresh', () => {
    let lines = transcriptAfter([], { type: 'delta', text: 'Once upon' })
    lines = transcriptAfter(lines, { type: 'listening', interrupted: true })
    lines = transcriptAfter(lines, { type: 'delta', text: 'Of course.' })
    expect(lines).toEqual([
      { who: 'companion', text: 'Once upon', interrupted: true },
      { who: 'companion', text: 'Of course.' },
    ])
  })
})
