import i18n from 'i18next'
import { initReactI18next } from 'react-i18next'
import en from './locales/en.json'

export const LANGUAGES = ['en', 'vi'] as const
export type Language = (typeof LANGUAGES)[number]
const STORED = 'confidant.language'

/** The supported language for a BCP 47 tag ("vi-VN" → "vi"); English otherwise. */
export function supported(tag: string | null | undefined): Language {
  const base = (tag ?? '').toLowerCase().split('-')[0]
  return (LANGUAGES as readonly string[]).includes(base) ? (base as Language) : 'en'
}

async function load(language: Language): Promise<void> {
  if (i18n.hasResourceBundle(language, 'translation')) return
  // Vietnamese is its own chunk, fetched only when someone uses it.
  const bundle = language === 'vi' ? (await import('./locales/vi.json')).default : en
  i18n.addResourceBundle(language, 'translation', bundle, true, true)
}

export async function setLanguage(tag: string): Promise<void> {
  const language = supported(tag)
  await load(language)
  try {
    localStorage.setItem(STORED, language)
  } catch {
    // storage may be unavailable (private mode): the choice still applies now
  }
  await i18n.changeLanguage(language)
}

function initial(): Language {
  try {
    const stored = localStorage.getItem(STORED)
    if (stored) return supported(stored)
  } catch {
    // ignore
  }
  return supported(typeof navigator !== 'undefined' ? navigator.language : 'en')
}

i18n.on('languageChanged', (language) => {
  if (typeof document !== 'undefined') document.documentElement.lang = language
})

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en } },
  lng: 'en',
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
})
document.documentElement.lang = 'en'

export const ready: Promise<void> = (async () => {
  const language = initial()
  if (language !== 'en') await setLanguage(language)
})()

export default i18n
