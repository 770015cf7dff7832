// Creating writes that may have to wait for the network (diary entries, mood logs).
//
// `postCreating(path, body)` POSTs with an Idempotency-Key. When the browser is offline,
// the server cannot be reached, or no session is live yet (the app opened offline), the
// write waits in IndexedDB instead and `postCreating` rejects with `QueuedOffline`: show
// "saved on this device, it will be sent" (its `item` is what waits). `flush()` sends
// what waits, oldest first, each with the key it was given when it was first tried, so
// the server stores it exactly once however often it is resent; `useDeviceSync` (in the
// layout) flushes when the network and the session come back, and every 30 s while
// something waits.
//
//     try {
//       const saved = await postCreating<MoodOut>('/api/mood', body)
//     } catch (error) {
//       if (error instanceof QueuedOffline) showSavedOnDevice(error.item)
//       else throw error
//     }
//
// With TanStack Query, give such a mutation `networkMode: 'always'`: in the default mode
// a mutation offline is paused and never reaches `postCreating`. `useOutbox(path)`
// (useOutbox.ts) lists what waits for a path, to show it as pending.
import { ApiError, accessToken, currentTokens, request } from '../api/client'
import { available, database, type OutboxItem } from './db'
import { currentOwner } from './device'

export type { OutboxItem }

const IDEMPOTENCY_HEADER = 'Idempotency-Key'
/** Answers after which sending again later can work; anything else 4xx is a refusal. */
const TRY_AGAIN_STATUSES = new Set([401, 408, 425, 429, 500, 502, 503, 504])

export function newIdempotencyKey(): string {
  return crypto.randomUUID()
}

/** The write was kept on this device and will be sent when the network returns. */
export class QueuedOffline extends Error {
  readonly item: OutboxItem

  constructor(item: OutboxItem) {
    super('Saved on this device; it will be sent when the network returns')
    this.name = 'QueuedOffline'
    this.item = item
  }
}

// --- listeners (this tab and the others) ---------------------------------------------------

type Listener = () => void
const listeners = new Set<Listener>()
const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('confidant-outbox') : null
channel?.addEventListener('message', () => notifyHere())

function notifyHere(): void {
  for (const listener of listeners) listener()
}

function changed(): void {
  notifyHere()
  channel?.postMessage('changed')
}

/** Called whenever what waits changes (here or in another tab). */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

// --- queueing ------------------------------------------------------------------------------

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}

/** A failure after which the write may not have arrived: it can wait and go again. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof ApiError) return TRY_AGAIN_STATUSES.has(error.status) || error.code === 'idempotency_in_progress'
  return error instanceof TypeError // fetch: the network failed
}

let lastQueuedAt = 0

async function enqueue(owner: string, path: string, body: unknown, key: string): Promise<OutboxItem> {
  lastQueuedAt = Math.max(Date.now(), lastQueuedAt + 1) // in order, even within a millisecond
  const item: OutboxItem = { key, owner, path, body, createdAt: new Date(lastQueuedAt).toISOString(), state: 'waiting' }
  await (await database()).put('outbox', item)
  changed()
  return item
}

function send<T>(path: string, body: unknown, key: string): Promise<T> {
  return request<T>(path, { method: 'POST', body, headers: { [IDEMPOTENCY_HEADER]: key } })
}

/** POST a creating write with an Idempotency-Key; offline it waits on this device and
 *  this rejects with `QueuedOffline` (see the top of this file). */
export async function postCreating<T = unknown>(path: string, body: unknown): Promise<T> {
  const key = newIdempotencyKey()
  const owner = available() ? await currentOwner() : null
  if (owner && (isOffline() || !accessToken())) throw new QueuedOffline(await enqueue(owner, path, body, key))
  try {
    return await send<T>(path, body, key)
  } catch (error) {
    // The same key as the try that failed: if that one did arrive, the resend answers it.
    if (owner && worthRetrying(error)) throw new QueuedOffline(await enqueue(owner, path, body, key))
    throw error
  }
}

// --- what waits ------------------------------------------------------------------------------

/** What waits (and what was refused) for the current owner, oldest first; `path` narrows it. */
export async function pending(path?: string): Promise<OutboxItem[]> {
  if (!available()) return []
  const owner = await currentOwner()
  if (!owner) return []
  const items = await (await database()).getAllFromIndex('outbox', 'owner', owner)
  return items.filter((item) => path === undefined || item.path === path).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

/** Drop one item (a refused write the person gives up on). */
export async function discard(key: string): Promise<void> {
  if (!available()) return
  await (await database()).delete('outbox', key)
  changed()
}

export interface FlushResult {
  sent: number
  waiting: number
  rejected: number
}

let flushing: Promise<FlushResult> | null = null

/** Send what waits for the signed-in account, oldest first, each with its own key; stop
 *  at the first that cannot go yet (no network, the server busy). One flush at a time in
 *  this tab, and across tabs where the browser has locks (the keys make a double send
 *  harmless anyway). */
export function flush(): Promise<FlushResult> {
  if (!flushing) {
    flushing = (async () => {
      try {
        const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
        return locks ? await locks.request('confidant-outbox', () => flushOnce()) : await flushOnce()
      } finally {
        flushing = null
      }
    })()
  }
  return flushing
}

async function flushOnce(): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, waiting: 0, rejected: 0 }
  const owner = currentTokens()?.userId
  if (!available() || !owner || !accessToken()) return result
  const db = await database()
  const items = (await db.getAllFromIndex('outbox', 'owner', owner)).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  let stopped = false
  for (const item of items) {
    if (item.state === 'rejected') {
      result.rejected += 1
      continue
    }
    if (stopped || isOffline()) {
      result.waiting += 1
      continue
    }
    try {
      await send(item.path, item.body, item.key)
      await db.delete('outbox', item.key)
      result.sent += 1
    } catch (error) {
      if (worthRetrying(error)) {
        stopped = true
        result.waiting += 1
      } else {
        const reason = error instanceof Error ? error.message : String(error)
        await db.put('outbox', { ...item, state: 'rejected', error: reason })
        result.rejected += 1
      }
    }
    changed()
  }
  return result
}
