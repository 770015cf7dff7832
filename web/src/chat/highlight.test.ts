import { describe, expect, it } from 'vitest'
import { queryHighlights } from './highlight'

describe('queryHighlights', () => {
  it('marks the words of the query, whatever their ending', () => {
    const text = 'First day at the Pottery class, then hiking.'
    const marks = queryHighlights(text, 'pottery hikes')
    expect(marks.map(([a, b]) => text.slice(a, b))).toEqual(['Pottery', 'hiking'])
  })

  it('ignores short words and finds nothing when nothing matches', () => {
    expect(queryHighlights('at the lake', 'at')).toEqual([])
    expect(queryHighlights('at the lake', 'mountain')).toEqual([])
  })

  it('works on Vietnamese words', () => {
    const text = 'Hôm nay đi leo núi với chị Mai'
    const marks = queryHighlights(text, 'núi')
    expect(marks.map(([a, b]) => text.slice(a, b))).toEqual(['núi'])
  })
})
