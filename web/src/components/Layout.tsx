import { NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useAuth } from '../auth/AuthProvider'
import { Button, cx } from './ui'
import { OfflineIndicator } from '../offline/OfflineIndicator'
import { useDeviceSync } from '../offline/useDeviceSync'

export function Layout() {
  const { t } = useTranslation()
  const { isGuest, logout } = useAuth()
  const navigate = useNavigate()
  useDeviceSync() // what this device keeps (src/offline/)
  // The chat fills the window (its composer stays in view); other pages scroll as documents.
  const fixed = useLocation().pathname.startsWith('/chat')
  const links = [
    ['/dashboard', t('dashboard.nav')],
    ['/chat', t('nav.chat')],
    ['/diary', t('nav.diary')],
    ['/check-ins', t('checkins.nav')],
    ['/wellbeing', t('wellbeing.nav')],
    ['/companion', t('companion.nav')],
    ['/medical-card', t('nav.medicalCard')],
    ['/settings', t('nav.settings')],
    ['/privacy', t('privacy.nav')],
  ] as const
  return (
    <div className={cx('flex flex-col', fixed ? 'h-full' : 'min-h-full')}>
      <a href="#main" className="sr-only-focusable absolute left-2 top-2 z-50 rounded bg-accent px-3 py-2 text-accent-fg">
        {t('nav.skip')}
      </a>
      <header className="no-print flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-border px-3 py-2">
        <span className="text-lg font-semibold">{t('app.name')}</span>
        <nav aria-label={t('nav.label')} className="order-3 w-full sm:order-none sm:w-auto">
          <ul className="flex flex-wrap gap-1">
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink
                  to={to}
                  className={({ isActive }) =>
                    cx(
                      'inline-flex min-h-11 items-center rounded-lg px-3 font-medium',
                      isActive ? 'bg-accent-soft text-fg underline underline-offset-4' : 'text-fg hover:bg-surface',
                    )
                  }
                >
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <OfflineIndicator />
          {isGuest ? (
            <Button variant="primary" onClick={() => navigate('/create-account')}>
              {t('auth.createAccount')}
            </Button>
          ) : null}
          <Button
            variant="secondary"
            onClick={() => {
              void logout().then(() => navigate('/'))
            }}
          >
            {t('nav.signOut')}
          </Button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className={cx('flex-1', fixed && 'min-h-0 overflow-hidden')}>
        <Outlet />
      </main>
    </div>
  )
}
