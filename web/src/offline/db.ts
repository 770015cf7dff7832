// What this device keeps in IndexedDB (one database, `confidant-offline`):
//   outbox  creating writes waiting for the network (src/offline/outbox.ts)
//   reads   the last chats, messages and diary entries read, to show offline (reads.ts)
//   device  who was signed in here last, so the app opens offline (device.ts)
// Everything is by owner (the account's id). Signing out deletes the whole database.
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb'

export const DB_NAME = 'confidant-offline'
const VERSION = 1

export interface OutboxItem {
  /** The Idempotency-Key, made once: every resend carries it, so the server stores once. */
  key: string
  owner: string
  path: string
  body: unknown
  createdAt: string
  /** waiting: will be sent; rejected: the server refused it (kept so nothing is lost). */
  state: 'waiting' | 'rejected'
  error?: string
}

export interface KeptRead {
  id: string
  owner: string
  queryKey: unknown[]
  data: unknown
  savedAt: number
}

export interface DeviceOwner {
  userId: string
  role: string
  savedAt: number
}

interface OfflineSchema extends DBSchema {
  outbox: { key: string; value: OutboxItem; indexes: { owner: string } }
  reads: { key: string; value: KeptRead; indexes: { owner: string } }
  device: { key: string; value: DeviceOwner & { name: string } }
}

export type OfflineDB = IDBPDatabase<OfflineSchema>
export type StoreName = 'outbox' | 'reads' | 'device'
export const STORES: readonly StoreName[] = ['outbox', 'reads', 'device']

let opening: Promise<OfflineDB> | null = null

/** IndexedDB is there (not in every test environment, nor in some private modes). */
export function available(): boolean {
  return typeof indexedDB !== 'undefined'
}

export function database(): Promise<OfflineDB> {
  if (!opening) {
    const opened = openDB<OfflineSchema>(DB_NAME, VERSION, {
      upgrade(db) {
        db.createObjectStore('outbox', { keyPath: 'key' }).createIndex('owner', 'owner')
        db.createObjectStore('reads', { keyPath: 'id' }).createIndex('owner', 'owner')
        db.createObjectStore('device', { keyPath: 'name' })
      },
      // Another tab deletes it (a sign-out there) or upgrades it: let go at once.
      blocking() {
        void opened.then((db) => db.close())
        opening = null
      },
      terminated() {
        opening = null
      },
    })
    opening = opened
    opened.catch(() => {
      if (opening === opened) opening = null
    })
  }
  return opening
}

/** Delete the whole database: everything this device kept. */
export async function deleteEverything(): Promise<void> {
  if (!available()) return
  const open = opening
  opening = null
  if (open) {
    try {
      ;(await open).close()
    } catch {
      // it never opened
    }
  }
  await deleteDB(DB_NAME)
}
