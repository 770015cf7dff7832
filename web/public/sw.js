// Confidant's service worker: the app shell opens with no network.
//
// `vite build` (the `serviceWorker` plugin in vite.config.ts) fills in BUILD and PRECACHE
// below: every file of the build (index.html, the hashed scripts and styles, the icons
// and the manifest). A new build is a new worker, whose cache replaces the old one.
//
//   navigations (a page of the client)   the network; with none, the cached index.html
//   /assets/<hashed name>                 the cache (they never change), else the network
//   other files of the client             the cache, refreshed from the network behind it
//   the API (/api, /v1, /ws, ...)         never touched: the page keeps what it read in
//                                         IndexedDB (src/offline/), which sign-out clears
//
// The server sends this file with `Cache-Control: no-cache`, so a new build is seen on
// the next visit.
const BUILD = 'dev'
const PRECACHE = []

const SHELL = `confidant-shell-${BUILD}`
const INDEX = '/index.html'
const API = /^\/(api|v1|ws|docs|redoc|openapi\.json|metrics|healthz|readyz)(\/|$)/

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL)
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))
      await self.skipWaiting()
    })(),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('confidant-shell-') && name !== SHELL) await caches.delete(name)
      }
      await self.clients.claim()
    })(),
  )
})

async function fromNetworkOrIndex(request) {
  try {
    return await fetch(request)
  } catch (error) {
    const cached = await caches.match(INDEX, { cacheName: SHELL })
    if (cached) return cached
    throw error
  }
}

async function fromCacheOrNetwork(request) {
  const cached = await caches.match(request, { cacheName: SHELL })
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) {
    const cache = await caches.open(SHELL)
    await cache.put(request, response.clone())
  }
  return response
}

async function fromCacheThenRefresh(event) {
  const cache = await caches.open(SHELL)
  const cached = await cache.match(event.request)
  const refreshed = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone())
    return response
  })
  if (cached) {
    event.waitUntil(refreshed.catch(() => undefined))
    return cached
  }
  return refreshed
}

self.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin || API.test(url.pathname)) return
  if (request.mode === 'navigate') event.respondWith(fromNetworkOrIndex(request))
  else if (url.pathname.startsWith('/assets/')) event.respondWith(fromCacheOrNetwork(request))
  else event.respondWith(fromCacheThenRefresh(event))
})
