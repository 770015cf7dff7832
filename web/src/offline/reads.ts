// The last chats, messages and diary entries read, kept in IndexedDB by owner, so the
// pages show them when the app opens with no network. Whatever the queries below last
// read successfully is written here; offline it is put back into the query cache (the
// pages need no change: their queries find data, and fetch again once online).
import type { Query, QueryClient, QueryKey } from '@tanstack/react-query'
import { available, database } from './db'

/** The queries kept, by the first part of their key. */
export const KEPT_QUERIES = new Set(['chats', 'chat', 'messages', 'diary'])

function kept(queryKey: QueryKey): boolean {
  return typeof queryKey[0] === 'string' && KEPT_QUERIES.has(queryKey[0])
}

function idOf(owner: string, queryKey: QueryKey): string {
  return `${owner}\u0000${JSON.stringify(queryKey)}`
}

async function save(owner: string, query: Query): Promise<void> {
  const data: unknown = query.state.data
  if (data === undefined) return
  await (await database()).put('reads', {
    id: idOf(owner, query.queryKey),
    owner,
    queryKey: [...query.queryKey],
    data,
    savedAt: query.state.dataUpdatedAt || Date.now(),
  })
}

/** Keep each successful read of a kept query for `owner`; returns the unsubscribe. */
export function keepReads(queryClient: QueryClient, owner: string): () => void {
  if (!available()) return () => undefined
  return queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== 'updated' || event.action.type !== 'success' || !kept(event.query.queryKey)) return
    void save(owner, event.query).catch(() => undefined)
  })
}

/** Put what was kept for `owner` back where no query has data yet; how many. */
export async function restoreReads(queryClient: QueryClient, owner: string): Promise<number> {
  if (!available()) return 0
  const rows = await (await database()).getAllFromIndex('reads', 'owner', owner)
  let restored = 0
  for (const row of rows) {
    if (queryClient.getQueryData(row.queryKey) !== undefined) continue
    queryClient.setQueryData(row.queryKey, row.data, { updatedAt: row.savedAt })
    restored += 1
  }
  return restored
}
