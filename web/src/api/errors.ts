import type { TFunction } from 'i18next'
import { ApiError } from './client'

export type ErrorContext = 'login' | 'pin' | 'qr' | 'register' | 'general'

function duration(t: TFunction, seconds: number): string {
  if (seconds >= 60) return t('time.minutes', { count: Math.ceil(seconds / 60) })
  return t('time.seconds', { count: seconds })
}

/** What an error means, in the user's words (never a status code). */
export function describeError(t: TFunction, error: unknown, context: ErrorContext = 'general'): string {
  if (!(error instanceof ApiError)) {
    if (error instanceof DOMException && error.name === 'AbortError') return t('errors.cancelled')
    return t('errors.network')
  }
  const wait = error.retryAfter ?? 60
  if (error.status === 429) {
    if (context === 'pin' || /PIN/.test(error.message)) return t('errors.pinLocked', { duration: duration(t, wait) })
    return t('errors.rateLimited', { duration: duration(t, wait) })
  }
  if (error.status === 401) {
    if (context === 'login') return t('errors.badCredentials')
    if (context === 'pin') return t('errors.badPin')
    if (context === 'qr') return t('errors.badQr')
    return t('errors.signedOut')
  }
  if (error.status === 409 && context === 'register') return t('errors.emailTaken')
  if (error.status === 422) {
    const fields = Array.isArray(error.details)
      ? (error.details as { field?: string; message?: string }[])
          .map((d) => `${(d.field ?? '').split('.').pop()}: ${d.message ?? ''}`)
          .join('; ')
      : ''
    return fields ? t('errors.invalidWith', { fields }) : t('errors.invalid')
  }
  if (error.code === 'no_speech_detected') return t('errors.noSpeech')
  if (error.code === 'unsupported_audio') return t('errors.unsupportedAudio')
  if (error.status === 413) return t('errors.tooLarge')
  if (error.status === 503) return t('errors.unavailable', { reason: error.message })
  if (error.status === 404) return t('errors.notFound')
  return t('errors.other', { reason: error.message })
}
