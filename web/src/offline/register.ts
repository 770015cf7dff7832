// The service worker (public/sw.js, completed by the build) keeps the app shell, so the
// client opens with no network. Only a production build registers it: under `vite`
// (dev) every file changes all the time.
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return
  const register = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // no worker (a private window, an old browser): the client works online as before
    })
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
