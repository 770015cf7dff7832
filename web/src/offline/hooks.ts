// React views of the offline state: the network, and what waits to be sent.
import { useEffect, useState, useSyncExternalStore } from 'react'
import { pending, subscribe, type OutboxItem } from './outbox'

function subscribeOnline(callback: () => void): () => void {
  window.addEventListener('online', callback)
  window.addEventListener('offline', callback)
  return () => {
    window.removeEventListener('online', callback)
    window.removeEventListener('offline', callback)
  }
}

/** navigator.onLine, kept current. */
export function useOnline(): boolean {
  return useSyncExternalStore(
    subscribeOnline,
    () => navigator.onLine,
    () => true,
  )
}

/** What waits on this device (for `path`, or all of it), oldest first; refreshed on change. */
export function useOutbox(path?: string): OutboxItem[] {
  const [items, setItems] = useState<OutboxItem[]>([])
  useEffect(() => {
    let live = true
    const load = () => {
      void pending(path)
        .then((found) => {
          if (live) setItems(found)
        })
        .catch(() => undefined)
    }
    load()
    const stop = subscribe(load)
    return () => {
      live = false
      stop()
    }
  }, [path])
  return items
}
