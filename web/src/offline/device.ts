// Who was signed in on this device last, whether the server can be reached, and what
// this device keeps (for the privacy centre).
import { currentTokens } from '../api/client'
import { available, database, deleteEverything, STORES, type DeviceOwner, type StoreName } from './db'

const OWNER = 'owner'
const SIGN_OUT_PENDING = 'confidant.signOutPending'
const SHELL_CACHE_PREFIX = 'confidant-shell-'

export type { DeviceOwner }

/** Remember who is signed in here, so the app can open for them without a network. */
export async function rememberOwner(userId: string, role: string): Promise<void> {
  if (!available()) return
  const db = await database()
  const before = await db.get('device', OWNER)
  if (before?.userId === userId && before.role === role) return
  if (before && before.userId !== userId) {
    // Someone else signs in: the last person's reads go (their unsent writes stay theirs).
    const tx = db.transaction('reads', 'readwrite')
    for (const key of await tx.store.index('owner').getAllKeys(before.userId)) await tx.store.delete(key)
    await tx.done
  }
  await db.put('device', { name: OWNER, userId, role, savedAt: Date.now() })
}

export async function rememberedOwner(): Promise<DeviceOwner | null> {
  if (!available()) return null
  try {
    const record = await (await database()).get('device', OWNER)
    return record ? { userId: record.userId, role: record.role, savedAt: record.savedAt } : null
  } catch {
    return null
  }
}

/** Whose data this is now: the signed-in account, or the one remembered while offline. */
export async function currentOwner(): Promise<string | null> {
  return currentTokens()?.userId ?? (await rememberedOwner())?.userId ?? null
}

/** The server answers (any answer): false when the network or the server is down. */
export async function serverReachable(): Promise<boolean> {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return false
  try {
    await fetch('/healthz', { cache: 'no-store', credentials: 'same-origin' })
    return true
  } catch {
    return false
  }
}

/** On start, when the session could not be resumed: the person remembered here, if the
 *  reason is that the server cannot be reached (then the app opens offline for them). */
export async function offlineOwner(): Promise<DeviceOwner | null> {
  const owner = await rememberedOwner()
  if (!owner) return null
  return (await serverReachable()) ? null : owner
}

// --- signing out ---------------------------------------------------------------------

/** Forget everything kept on this device: the outbox, the reads, who was here. */
export async function forgetDevice(): Promise<void> {
  try {
    await deleteEverything()
  } catch {
    // blocked or unavailable: nothing more to do here
  }
}

/** A sign-out that could not reach the server: the refresh cookie still works there, so
 *  the next start signs out first instead of resuming. */
export function markSignOutPending(): void {
  try {
    localStorage.setItem(SIGN_OUT_PENDING, '1')
  } catch {
    // no storage: nothing to remember it with
  }
}

export function signOutPending(): boolean {
  try {
    return localStorage.getItem(SIGN_OUT_PENDING) === '1'
  } catch {
    return false
  }
}

export function clearSignOutPending(): void {
  try {
    localStorage.removeItem(SIGN_OUT_PENDING)
  } catch {
    // ignore
  }
}

// --- what is kept here -----------------------------------------------------------------

export interface StoreSummary {
  /** outbox: writes waiting to be sent; reads: chats, messages and diary entries last
   *  read; device: who was signed in here last. */
  name: StoreName
  /** i18n key (under `offline.storage`) that says what it holds, in the person's words. */
  labelKey: string
  count: number
}

export interface DeviceStorage {
  /** IndexedDB `confidant-offline`, store by store, for the current owner and others. */
  stores: StoreSummary[]
  /** The app shell the service worker keeps (the client's own files, nothing personal). */
  appShell: { cache: string; files: number }[]
  /** This origin's localStorage keys (language, theme, accounts remembered for PIN
   *  sign-in, a sign-out still to finish). */
  localStorageKeys: string[]
}

/** What this device keeps, store by store, with counts (for the privacy centre). */
export async function describeDeviceStorage(): Promise<DeviceStorage> {
  const stores: StoreSummary[] = []
  if (available()) {
    const db = await database()
    for (const name of STORES) stores.push({ name, labelKey: `offline.storage.${name}`, count: await db.count(name) })
  }
  const appShell: DeviceStorage['appShell'] = []
  if (typeof caches !== 'undefined') {
    for (const cache of await caches.keys()) {
      if (cache.startsWith(SHELL_CACHE_PREFIX)) appShell.push({ cache, files: (await (await caches.open(cache)).keys()).length })
    }
  }
  const localStorageKeys: string[] = []
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)
      if (key) localStorageKeys.push(key)
    }
  } catch {
    // no storage
  }
  return { stores, appShell, localStorageKeys: localStorageKeys.sort() }
}
