// The layout's link between the session and what the device keeps: remember who is
// signed in, keep their reads, put them back offline, and send what waits whenever the
// network and a session are there (at once, on `online`, and every 30 s while needed).
import { useEffect } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { useAuth } from '../auth/AuthProvider'
import { rememberOwner } from './device'
import { flush, pending } from './outbox'
import { keepReads, restoreReads } from './reads'

const RETRY_MS = 30_000

export function useDeviceSync(): void {
  const { tokens, userId, offline } = useAuth()
  const queryClient = useQueryClient()
  const live = tokens !== null

  useEffect(() => {
    if (tokens) void rememberOwner(tokens.userId, tokens.role).catch(() => undefined)
  }, [tokens])

  useEffect(() => {
    if (!userId) return
    const stop = keepReads(queryClient, userId)
    if (offline || !navigator.onLine) void restoreReads(queryClient, userId).catch(() => undefined)
    return stop
  }, [queryClient, userId, offline])

  useEffect(() => {
    if (!live) return
    let stopped = false
    const send = async () => {
      const result = await flush().catch(() => null)
      if (!stopped && result?.sent) await queryClient.invalidateQueries()
    }
    void send()
    const onOnline = () => void send()
    window.addEventListener('online', onOnline)
    const timer = setInterval(() => {
      void pending().then((items) => {
        if (items.some((item) => item.state === 'waiting')) void send()
      })
    }, RETRY_MS)
    return () => {
      stopped = true
      window.removeEventListener('online', onOnline)
      clearInterval(timer)
    }
  }, [live, queryClient])
}
