// End-to-end tests against a real `confidant serve` (fresh DATA_DIR, bundled model)
// serving the freshly built client from the same origin.
import { defineConfig } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const here = import.meta.dirname
const repo = resolve(here, '..')

function freePort(): number {
  // A port the OS hands out now; synchronous so the config can be evaluated as is.
  const script = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
  return Number(execFileSync(process.execPath, ['-e', script]).toString().trim())
}

// Chosen once in the runner; workers inherit them through the environment.
process.env.E2E_API_PORT ??= String(freePort())
process.env.E2E_WEB_PORT ??= String(freePort())
if (!process.env.E2E_DATA_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), 'confidant-e2e-'))
  // The bundled model is converted once (about a minute) and kept between runs
  // (under node_modules/.cache, which the Makefile's staleness check leaves out).
  const models = join(here, 'node_modules', '.cache', 'confidant-e2e', 'models')
  mkdirSync(models, { recursive: true })
  symlinkSync(models, join(dataDir, 'models'))
  process.env.E2E_DATA_DIR = dataDir
}

// A spoken message for the fake microphone.
const fixtures = join(here, 'node_modules', '.cache', 'confidant-e2e', 'fixtures')
mkdirSync(fixtures, { recursive: true })
export const SPOKEN_WAV = join(fixtures, 'spoken.wav')
if (!existsSync(SPOKEN_WAV)) {
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', SPOKEN_WAV, 'Hello. I had a good day today and I feel calm.'])
}

// A spoken question with twenty seconds of quiet after it, for the live call (the fake
// microphone loops its file, and a turn ends on a pause). The quiet is long because a
// question asked again before the reply is heard talks over it: on a loaded machine,
// transcription, the model and synthesis can take longer than a short gap, and the
// reply would then be cut off before its first audio every time round.
export const CALL_WAV = join(fixtures, 'call-question-quiet-20s.wav')
if (!existsSync(CALL_WAV)) {
  const ssml = '<speak>I feel tired today. Can you help me relax?<break time="20000ms"/></speak>'
  execFileSync('espeak-ng', ['-m', '-v', 'en-us', '-s', '140', '-w', CALL_WAV, ssml])
}

const python = process.env.CONFIDANT_PYTHON || resolve(repo, '.venv/bin/python')
const apiPort = process.env.E2E_API_PORT
const webPort = process.env.E2E_WEB_PORT
const apiUrl = `http://127.0.0.1:${apiPort}`
// Same origin by default: `confidant serve` serves web/dist itself. E2E_SERVE=preview
// puts `vite preview` in front instead (it proxies /api, /v1 and /ws to the API).
const preview = process.env.E2E_SERVE === 'preview'
const webUrl = preview ? `http://127.0.0.1:${webPort}` : apiUrl
const dist = join(here, 'dist')
const serverEnv: Record<string, string> = {
  ...(process.env as Record<string, string>),
  PYTHONPATH: resolve(repo, 'src'),
  CONFIDANT_DATA_DIR: process.env.E2E_DATA_DIR!,
  CONFIDANT_WEB_DIST_DIR: dist,
  CONFIDANT_PUBLIC_BASE_URL: webUrl,
  CONFIDANT_LOGIN_RATE_PER_IP: '1000',
  CONFIDANT_LOGIN_RATE_PER_ACCOUNT: '1000',
  CONFIDANT_LLM_MAX_NEW_TOKENS: '128',
  CONFIDANT_QR_LOGIN_TTL_SECONDS: '60',
  // The ledger signs a checkpoint a second after new leaves (default 10 s), so the
  // privacy centre's Verify covers a test's own writes soon.
  CONFIDANT_LEDGER_CHECKPOINT_SECONDS: '1',
}
const build = 'npx vite build --logLevel warn'
const api = {
  command: `cd "${here}" && ${build} && cd "${repo}" && "${python}" -m confidant migrate && exec "${python}" -m confidant serve --port ${apiPort}`,
  cwd: repo,
  url: `${apiUrl}/readyz`,
  env: serverEnv,
  timeout: 240_000,
  reuseExistingServer: false,
  stdout: 'ignore' as const,
  stderr: (process.env.E2E_VERBOSE ? 'pipe' : 'ignore') as 'pipe' | 'ignore',
  gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 10_000 },
}
const previewServer = {
  command: `exec npx vite preview --host 127.0.0.1 --port ${webPort} --strictPort`,
  cwd: here,
  url: webUrl,
  env: { ...(process.env as Record<string, string>), CONFIDANT_API_URL: apiUrl },
  timeout: 180_000, // replies from the bundled model on a busy two-core machine
  reuseExistingServer: false,
}

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/playwright',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 180_000, // replies from the bundled model on a busy two-core machine
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: webUrl,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    permissions: ['microphone', 'camera'],
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${SPOKEN_WAV}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer: preview ? [api, previewServer] : [api],
})
