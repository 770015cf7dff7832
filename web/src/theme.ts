export type Theme = 'system' | 'light' | 'dark'
const STORED = 'confidant.theme'
let media: MediaQueryList | null = null
let current: Theme = 'system'

function paint(): void {
  const dark = current === 'dark' || (current === 'system' && !!media?.matches)
  document.documentElement.classList.toggle('dark', dark)
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light'
}

/** Apply a theme at once; "system" follows the device and its changes. */
export function applyTheme(theme: Theme): void {
  current = theme
  try {
    localStorage.setItem(STORED, theme)
  } catch {
    // ignore
  }
  paint()
}

export function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(STORED)
    if (value === 'light' || value === 'dark' || value === 'system') return value
  } catch {
    // ignore
  }
  return 'system'
}

export function initTheme(): void {
  if (typeof window.matchMedia === 'function') {
    media = window.matchMedia('(prefers-color-scheme: dark)')
    media.addEventListener?.('change', paint)
  }
  applyTheme(storedTheme())
}
