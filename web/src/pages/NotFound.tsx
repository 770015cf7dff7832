import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useTitle } from '../components/useTitle'

export default function NotFound() {
  const { t } = useTranslation()
  useTitle(t('pages.notFound'))
  return (
    <main id="main" className="mx-auto max-w-xl p-6">
      <h1 className="text-2xl font-semibold">{t('pages.notFound')}</h1>
      <p className="mt-2">
        <Link to="/" className="text-link underline">
          {t('common.home')}
        </Link>
      </p>
    </main>
  )
}
