import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './index.css'
import { ready } from './i18n'
import { initTheme } from './theme'
import App from './App'
import { registerServiceWorker } from './offline/register'

initTheme()
registerServiceWorker()
void ready.finally(() => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
})
