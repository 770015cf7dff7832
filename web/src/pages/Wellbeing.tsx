import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { useAuth } from '../auth/AuthProvider'
import { PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { Habits } from '../wellbeing/Habits'
import { Mindfulness } from '../wellbeing/Mindfulness'
import { MoodLog } from '../wellbeing/MoodLog'
import { Wearable } from '../wellbeing/Wearable'

export default function Wellbeing() {
  const { t } = useTranslation()
  const { me } = useAuth()
  useTitle(t('wellbeing.nav'))
  const timeZone = me?.preferences.timeZone ?? 'UTC'
  return (
    <div className="mx-auto flex max-w-4xl flex-col gap-4 p-4">
      <PageHeading>{t('wellbeing.heading')}</PageHeading>
      <p className="text-muted">
        {t('wellbeing.intro')}{' '}
        <Link to="/check-ins" className="text-link underline">
          {t('wellbeing.checkInsLink')}
        </Link>
      </p>
      <MoodLog />
      <Wearable />
      <Habits timeZone={timeZone} />
      <Mindfulness />
    </div>
  )
}
