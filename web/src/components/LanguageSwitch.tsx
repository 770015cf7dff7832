import { useId } from 'react'
import { useTranslation } from 'react-i18next'
import { LANGUAGES, setLanguage } from '../i18n'

export function LanguageSwitch() {
  const { t, i18n } = useTranslation()
  const id = useId()
  return (
    <div className="flex items-center gap-2">
      <label htmlFor={id} className="text-sm">
        {t('settings.language')}
      </label>
      <select
        id={id}
        value={i18n.language}
        onChange={(event) => void setLanguage(event.target.value)}
        className="min-h-11 rounded-lg border border-border bg-bg px-2 text-fg"
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language}>
            {t(`languages.${language}`)}
          </option>
        ))}
      </select>
    </div>
  )
}
