import { expect, test } from '@playwright/test'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const DIST = join(import.meta.dirname, '..', 'dist')
const LIMIT = 170 * 1024

test('the landing route loads at most 170 KB of JavaScript, gzipped', async ({ page }) => {
  const scripts = new Set<string>()
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (url.pathname.endsWith('.js')) scripts.add(url.pathname)
  })
  await page.goto('/')
  await expect(page.getByRole('button', { name: 'Continue as guest' })).toBeVisible()
  await page.waitForLoadState('networkidle')
  const sizes = [...scripts].map((path) => {
    const bytes = readFileSync(join(DIST, path))
    return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
  })
  const total = sizes.reduce((sum, s) => sum + s.gzip, 0)
  mkdirSync(join(import.meta.dirname, '..', 'test-results'), { recursive: true })
  writeFileSync(join(import.meta.dirname, '..', 'test-results', 'landing-js.json'), JSON.stringify({ totalGzipBytes: total, limitBytes: LIMIT, files: sizes }, null, 2))
  console.log(`landing route JS: ${(total / 1024).toFixed(1)} KB gzipped (target ≤ 170 KB) in ${sizes.length} files`)
  expect(sizes.length).toBeGreaterThan(0)
  expect(total).toBeLessThanOrEqual(LIMIT)
})
