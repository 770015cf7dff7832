/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
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

export default defineConfig({
  plugins: [react(), tailwindcss()],
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
