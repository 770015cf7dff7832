// Accounts remembered on this device for PIN sign-in: id, name and email only
// (never a token). Stored in localStorage so they survive a restart.
export interface RememberedAccount {
  userId: string
  name: string | null
  email: string | null
}

const KEY = 'confidant.accounts'

export function rememberedAccounts(): RememberedAccount[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]')
    return Array.isArray(parsed)
      ? parsed.filter((a): a is RememberedAccount => typeof a?.userId === 'string')
      : []
  } catch {
    return []
  }
}

function save(accounts: RememberedAccount[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(accounts))
  } catch {
    // ignore
  }
}

export function rememberAccount(account: RememberedAccount): void {
  const rest = rememberedAccounts().filter((a) => a.userId !== account.userId)
  save([account, ...rest].slice(0, 8))
}

export function forgetAccount(userId: string): void {
  save(rememberedAccounts().filter((a) => a.userId !== userId))
}
