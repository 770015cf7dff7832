import { describe, expect, it } from 'vitest'
import i18n from '../i18n'
import { ApiError } from './client'
import { describeError } from './errors'

const t = i18n.t.bind(i18n)

describe('errors in words', () => {
  it('a PIN lockout says for how long, not a code', () => {
    const error = new ApiError(429, 'too_many_requests', 'PIN sign-in is locked for this account', null, 900)
    expect(describeError(t, error, 'pin')).toBe(
      'PIN sign-in is locked for 15 minutes after too many wrong tries. You can still sign in with your password.',
    )
  })

  it('a rate limit says when to try again', () => {
    const error = new ApiError(429, 'too_many_requests', 'Too many attempts, try again later', null, 42)
    expect(describeError(t, error, 'login')).toBe('Too many attempts. Try again in 42 seconds.')
  })

  it('wrong credentials, a used QR code, a taken email', () => {
    expect(describeError(t, new ApiError(401, 'unauthorized', 'x', null, null), 'login')).toMatch(/do not match/)
    expect(describeError(t, new ApiError(401, 'unauthorized', 'x', null, null), 'qr')).toMatch(/already used or has expired/)
    expect(describeError(t, new ApiError(409, 'conflict', 'x', null, null), 'register')).toMatch(/already exists/)
  })

  it('a network failure', () => {
    expect(describeError(t, new TypeError('Failed to fetch'))).toMatch(/cannot be reached/)
  })
})
