import { useEffect } from 'react'
import { useTranslation } from 'react-i18next'

/** The page title says Confidant and the current page: "Confidant — Chat". */
export function useTitle(page: string): void {
  const { t } = useTranslation()
  useEffect(() => {
    document.title = t('app.title', { page })
  }, [page, t])
}
