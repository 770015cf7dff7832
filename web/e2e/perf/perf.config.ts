// Playwright config for the web client's paint-timing measurement (issue 18,
// Performance). Not part of `make test`: bench/web.py starts a real `confidant serve`
// and runs this with PERF_BASE_URL pointing at it. The main config's testDir is e2e/,
// but its default testMatch (*.spec.ts / *.test.ts) does not pick up *.perf.ts.
import { defineConfig } from '@playwright/test'

const baseURL = process.env.PERF_BASE_URL
if (!baseURL) throw new Error('PERF_BASE_URL is not set: run this through bench/web.py, which starts the server')

export default defineConfig({
  testDir: '.',
  testMatch: '*.perf.ts',
  outputDir: '../../test-results/perf',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: Number(process.env.PERF_TIMEOUT_MS ?? 540_000),
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
  },
  projects: [{ name: 'chromium' }],
})
