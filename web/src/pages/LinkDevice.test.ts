import { describe, expect, it } from 'vitest'
import { refreshDelay } from './LinkDevice'

describe('sign-in QR refresh', () => {
  it('fetches a new code before the old one expires', () => {
    const now = 1_000_000
    // a 5-minute code: renewed 30 s before it ends
    expect(refreshDelay(now + 300_000, now)).toBe(270_000)
    // a 60-second code: renewed with a fifth of its life left
    expect(refreshDelay(now + 60_000, now)).toBe(48_000)
    // an expired or nearly expired one: at once (one second)
    expect(refreshDelay(now - 5_000, now)).toBe(1000)
  })
})
