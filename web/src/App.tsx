import { lazy, Suspense, useState } from 'react'
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { AuthProvider, useAuth } from './auth/AuthProvider'
import { Layout } from './components/Layout'
import { ApiError } from './api/client'
import Landing from './pages/Landing'

// Every page but the landing one is its own chunk.
const SignIn = lazy(() => import('./pages/SignIn'))
const Chat = lazy(() => import('./pages/Chat'))
const Diary = lazy(() => import('./pages/Diary'))
const MedicalCard = lazy(() => import('./pages/MedicalCard'))
const Settings = lazy(() => import('./pages/Settings'))
const LinkDevice = lazy(() => import('./pages/LinkDevice'))
const Privacy = lazy(() => import('./pages/Privacy'))
const NotFound = lazy(() => import('./pages/NotFound'))
const Dashboard = lazy(() => import('./pages/Dashboard'))
const CheckIns = lazy(() => import('./pages/CheckIns'))
const Wellbeing = lazy(() => import('./pages/Wellbeing'))
const Companion = lazy(() => import('./pages/Companion'))

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  })
}

function Loading() {
  const { t } = useTranslation()
  return (
    <p role="status" className="p-6 text-muted">
      {t('common.loading')}
    </p>
  )
}

/** Pages for a signed-in person (guests included); others go to the landing page. */
function RequireAuth({ children }: { children: React.ReactNode }) {
  const { status } = useAuth()
  const location = useLocation()
  if (status === 'loading') return <Loading />
  if (status === 'signedOut') return <Navigate to="/" replace state={{ from: location.pathname }} />
  return <>{children}</>
}

function RequireAccount({ children }: { children: React.ReactNode }) {
  const { isGuest } = useAuth()
  if (isGuest) return <Navigate to="/create-account" replace />
  return <>{children}</>
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/" element={<Landing />} />
        <Route path="/sign-in" element={<SignIn mode="password" />} />
        <Route path="/sign-in/pin" element={<SignIn mode="pin" />} />
        <Route path="/sign-in/qr" element={<SignIn mode="qr" />} />
        <Route path="/create-account" element={<SignIn mode="create" />} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route path="/chat" element={<Chat />} />
          <Route path="/chat/:chatId" element={<Chat />} />
          <Route path="/diary" element={<Diary />} />
          <Route path="/medical-card" element={<MedicalCard />} />
          <Route path="/settings" element={<Settings />} />
          <Route path="/privacy" element={<Privacy />} />
          <Route path="/link-device" element={<RequireAccount><LinkDevice /></RequireAccount>} />
          <Route path="/dashboard" element={<Dashboard />} />
          <Route path="/check-ins" element={<CheckIns />} />
          <Route path="/wellbeing" element={<Wellbeing />} />
          <Route path="/companion" element={<Companion />} />
        </Route>
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  )
}

export default function App() {
  const [queryClient] = useState(makeQueryClient)
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  )
}
