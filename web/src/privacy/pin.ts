// The ledger's verifier key this client trusts: one fixed when the client was built
// (VITE_LEDGER_VERIFIER_KEY), else the first one it saw (kept in localStorage). A key
// fetched from the same server proves nothing, so a changed key is never taken silently.

export const PINNED_KEY_STORAGE = 'confidant.ledgerVerifierKey'

export type PinSource = 'build' | 'firstUse'

export interface Pin {
  key: string
  source: PinSource
  /** True when this call pinned the key (trust on first use, just now). */
  new: boolean
}

export function buildTimeKey(): string | null {
  const value = (import.meta.env.VITE_LEDGER_VERIFIER_KEY as string | undefined)?.trim()
  return value ? value : null
}

export function storedKey(): string | null {
  try {
    return localStorage.getItem(PINNED_KEY_STORAGE)
  } catch {
    return null
  }
}

/** The pinned key, pinning `serverKey` when nothing is pinned yet. */
export function pinnedKey(serverKey: string, built: string | null = buildTimeKey()): Pin {
  if (built) return { key: built, source: 'build', new: false }
  const stored = storedKey()
  if (stored) return { key: stored, source: 'firstUse', new: false }
  try {
    localStorage.setItem(PINNED_KEY_STORAGE, serverKey)
  } catch {
    // storage refused (private mode): the key is trusted for this visit only
  }
  return { key: serverKey, source: 'firstUse', new: true }
}

/** The person chose to trust a new key (after the warning); never for a build-time pin. */
export function repin(serverKey: string): void {
  localStorage.setItem(PINNED_KEY_STORAGE, serverKey)
}
