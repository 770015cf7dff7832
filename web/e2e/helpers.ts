import { expect, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const SCREENS = join(import.meta.dirname, '..', 'test-results', 'screens')

/** Keep a screenshot of the page as a test artefact (web/test-results/screens). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true })
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })
}

/** axe-core on the page as it is now: no serious or critical violations. */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`)
  expect(report, `axe on ${state}`).toEqual([])
}

/** Screenshot and axe, in both themes. */
export async function check(page: Page, state: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.evaluate((dark) => {
      // follow the emulated scheme whatever theme was picked
      document.documentElement.classList.toggle('dark', dark)
    }, scheme === 'dark')
    await expectAccessible(page, `${state} (${scheme})`)
    await screenshot(page, `${state}-${scheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.evaluate(() => document.documentElement.classList.remove('dark'))
}

let counter = 0
export function uniqueEmail(prefix = 'user'): string {
  counter += 1
  return `${prefix}-${Date.now()}-${counter}@example.com`
}

export async function startGuestChat(page: Page): Promise<void> {
  await page.goto('/')
  await page.getByRole('button', { name: 'Continue as guest' }).click()
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  await expect(page.getByRole('log', { name: 'Conversation' })).toBeVisible()
}

export async function createAccount(page: Page, name: string, email: string, password: string): Promise<void> {
  await page.goto('/create-account')
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  await expect(page.getByRole('log', { name: 'Conversation' })).toBeVisible()
}
