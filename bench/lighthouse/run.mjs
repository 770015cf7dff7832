// Lighthouse 12.2.3 on the web client's landing and chat pages, run by bench/web.py.
//
//   node run.mjs BASE_URL OUT.json [desktop|mobile ...]
//
// One Chromium (CHROME_PATH, --headless=new --no-sandbox) driven by the puppeteer-core
// Lighthouse uses. For each preset:
//   landing: a Lighthouse navigation of BASE_URL/ with its default storage reset, after
//            clearing cookies and the HTTP cache (a first visit).
//   chat:    a guest session is started the way a person does (Continue as guest), then
//            the HTTP cache is cleared and Lighthouse navigates to that chat's URL with
//            storage reset off, so the refresh cookie resumes the session (a returning
//            guest opening the chat on a cold cache). The chat is empty.
// Only the performance and accessibility categories are run. Writes a summary per run.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import puppeteer from 'puppeteer-core'
import { navigation } from 'lighthouse'
import desktopConfig from 'lighthouse/core/config/desktop-config.js'

const [base, out, ...presetArgs] = process.argv.slice(2)
if (!base || !out) {
  console.error('usage: node run.mjs BASE_URL OUT.json [desktop|mobile ...]')
  process.exit(2)
}
const presets = presetArgs.length ? presetArgs : ['desktop', 'mobile']
const executablePath = process.env.CHROME_PATH
if (!executablePath) {
  console.error('CHROME_PATH is not set (e.g. CHROME_PATH=$(command -v chromium))')
  process.exit(2)
}

const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index']

function summary(page, preset, url, result) {
  const lhr = result.lhr
  // the page as Lighthouse left it, next to OUT, to look at
  const shot = lhr.audits['final-screenshot']?.details?.data
  if (shot) writeFileSync(join(dirname(out), `web-lighthouse-${preset}-${page}.jpg`), Buffer.from(shot.split(',')[1], 'base64'))
  const score = (id) => (lhr.categories[id]?.score == null ? null : Math.round(lhr.categories[id].score * 100))
  const failing = (id) =>
    (lhr.categories[id]?.auditRefs ?? [])
      .filter((ref) => ref.weight > 0 && lhr.audits[ref.id]?.score !== null && lhr.audits[ref.id]?.score < 1)
      .map((ref) => ({ id: ref.id, score: lhr.audits[ref.id].score, title: lhr.audits[ref.id].title }))
  const scripts = (lhr.audits['network-requests']?.details?.items ?? [])
    .filter((item) => item.resourceType === 'Script')
    .map((item) => ({ url: item.url, transferSize: item.transferSize, resourceSize: item.resourceSize }))
  // what Lighthouse says would save the most (its opportunities), biggest first
  const opportunities = Object.values(lhr.audits)
    .filter((a) => a.details?.type === 'opportunity' && (a.details.overallSavingsMs ?? 0) > 0)
    .sort((a, b) => b.details.overallSavingsMs - a.details.overallSavingsMs)
    .map((a) => ({ id: a.id, savingsMs: a.details.overallSavingsMs, savingsBytes: a.details.overallSavingsBytes ?? null }))
  return {
    page,
    opportunities,
    preset,
    url,
    finalUrl: lhr.finalDisplayedUrl,
    lighthouseVersion: lhr.lighthouseVersion,
    userAgent: lhr.environment?.hostUserAgent,
    benchmarkIndex: lhr.environment?.benchmarkIndex,
    throttling: lhr.configSettings.throttlingMethod,
    formFactor: lhr.configSettings.formFactor,
    performance: score('performance'),
    accessibility: score('accessibility'),
    metrics: Object.fromEntries(METRICS.map((id) => [id, lhr.audits[id]?.numericValue ?? null])),
    failingPerformance: failing('performance'),
    failingAccessibility: failing('accessibility'),
    runtimeError: lhr.runtimeError ?? null,
    runWarnings: lhr.runWarnings ?? [],
    scripts,
  }
}

/** Clear the HTTP cache and, unless keepCookies, the cookies: Lighthouse's own storage
 *  reset leaves cookies alone, and a refresh cookie would take `/` to the chat. */
async function coldStart(page, keepCookies = false) {
  const cdp = await page.createCDPSession()
  await cdp.send('Network.clearBrowserCache')
  if (!keepCookies) await cdp.send('Network.clearBrowserCookies')
  await cdp.detach()
}

async function startGuestChat(browser) {
  const page = await browser.newPage()
  await coldStart(page)
  await page.goto(`${base}/`, { waitUntil: 'networkidle0' })
  await page.locator('::-p-aria([name="Continue as guest"][role="button"])').click()
  await page.waitForFunction(() => /^\/chat\/[\w-]+$/.test(location.pathname), { timeout: 60_000 })
  await page.waitForSelector('[role="log"]', { timeout: 60_000 })
  const url = page.url()
  await page.close()
  return url
}

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: ['--headless=new', '--no-sandbox'],
  defaultViewport: null,
})
const results = []
try {
  for (const preset of presets) {
    const config = preset === 'desktop' ? desktopConfig : undefined
    const flags = { onlyCategories: ['performance', 'accessibility'], logLevel: 'error' }

    let page = await browser.newPage()
    await coldStart(page)
    const landing = await navigation(page, `${base}/`, { config, flags })
    results.push(summary('landing', preset, `${base}/`, landing))
    await page.close()

    const chatUrl = await startGuestChat(browser)
    page = await browser.newPage()
    await coldStart(page, true)
    const chat = await navigation(page, chatUrl, { config, flags: { ...flags, disableStorageReset: true } })
    results.push(summary('chat', preset, chatUrl, chat))
    await page.close()
    console.error(`lighthouse ${preset}: done`)
  }
} finally {
  writeFileSync(out, JSON.stringify(results, null, 2))
  await browser.close()
}
