/// <reference types="vitest/config" />
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

// Where the API runs during `vite` (dev) and `vite preview` (the e2e tests set it).
const api = process.env.CONFIDANT_API_URL ?? 'http://127.0.0.1:8000'
const proxy = {
  '/api': { target: api, changeOrigin: false },
  '/v1': { target: api, changeOrigin: false },
  '/ws': { target: api.replace(/^http/, 'ws'), ws: true, changeOrigin: false },
}

// The policy `confidant serve` sends with the pages (src/confidant/app/web.py), so that
// `vite preview` runs the client under the same rules.
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; " +
  "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// The installable app: the manifest and icons (public/), and the service worker
// (public/sw.js) told every file of this build, so the shell opens with no network.
const THEME_COLOR = '#0f766e' // the favicon's, and the light theme's accent
const SERVICE_WORKER = 'sw.js'

function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
}

function installableApp(): Plugin {
  let outDir = 'dist'
  return {
    name: 'confidant-installable-app',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    transformIndexHtml() {
      return [
        { tag: 'link', attrs: { rel: 'manifest', href: '/manifest.webmanifest' }, injectTo: 'head' },
        { tag: 'meta', attrs: { name: 'theme-color', content: THEME_COLOR }, injectTo: 'head' },
        { tag: 'link', attrs: { rel: 'apple-touch-icon', href: '/icons/apple-touch-icon.png' }, injectTo: 'head' },
      ]
    },
    // After everything is written (public/ included): the list of files and a version
    // that changes with any of them, filled into dist/sw.js.
    writeBundle: {
      order: 'post',
      handler() {
        const files = filesUnder(outDir)
          .filter((file) => file !== SERVICE_WORKER && !file.endsWith('.map'))
          .sort()
        const version = createHash('sha256')
        for (const file of files) version.update(file).update(readFileSync(join(outDir, file)))
        const worker = join(outDir, SERVICE_WORKER)
        const source = readFileSync(worker, 'utf8')
        const filled = source
          .replace("const BUILD = 'dev'", `const BUILD = '${version.digest('hex').slice(0, 16)}'`)
          .replace('const PRECACHE = []', `const PRECACHE = ${JSON.stringify(files.map((file) => `/${file}`))}`)
        if (filled === source || filled.includes("const BUILD = 'dev'") || filled.includes('const PRECACHE = []')) {
          throw new Error(`${SERVICE_WORKER}: BUILD and PRECACHE were not filled in`)
        }
        writeFileSync(worker, filled)
      },
    },
  }
}

export default defineConfig({
  plugins: [react(), tailwindcss(), installableApp()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // No inline scripts or styles may be injected: CSP is script-src 'self'.
    modulePreload: { polyfill: false },
  },
  server: { proxy },
  preview: { proxy, headers: { 'Content-Security-Policy': csp } },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
})
