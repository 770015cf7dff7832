import { useTranslation } from 'react-i18next'
import { PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'

export default function Diary() {
  const { t } = useTranslation()
  useTitle(t('nav.diary'))
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('nav.diary')}</PageHeading>
      <p>{t('common.comingSoon')}</p>
    </div>
  )
}
