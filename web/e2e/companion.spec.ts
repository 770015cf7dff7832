import { expect, test, type APIRequestContext } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const response = await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  expect(response.ok()).toBe(true)
  return { Authorization: `Bearer ${(await response.json()).accessToken}` }
}

test('my companion: start a fine-tune and cancel it by keyboard; automatic fine-tuning off and on', async ({ page, request }) => {
  const email = uniqueEmail('tune')
  await createAccount(page, 'Khoa', email, PASSWORD)
  const headers = await bearer(request, email)
  expect((await request.patch('/api/users/me', { headers, data: { preferences: { autoFineTune: false } } })).ok()).toBe(true)
  // enough writing that the fine-tune takes many steps, so it is still training when cancelled
  const days = [
    'Took the early bus and watched the city wake up. I like the quiet before work.',
    'Cooked pho with my brother; we argued about the broth and laughed a lot.',
  ]
  for (let day = 1; day <= 40; day++) {
    const date = new Date(Date.UTC(2025, 2, day)).toISOString().slice(0, 10)
    const text = `${days[day % 2]} Day ${day}: a walk by the river, a call with my mother, an early night.`
    expect((await request.post('/api/diary', { headers, data: { date, text } })).status()).toBe(201)
  }
  await page.reload()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My companion' }).click()
  await expect(page).toHaveTitle('Confidant — My companion')
  const who = page.getByRole('region', { name: 'Who answers me' })
  await expect(who.getByTestId('answering-model')).not.toHaveText('')
  await expect(who.getByTestId('answering-model')).not.toHaveText('none available')
  await expect(who.getByTestId('answering-adapter')).toHaveText('none yet (the base model answers)')
  const adapters = page.getByRole('region', { name: 'Your adapters' })
  await expect(adapters).toContainText('No adapters yet.')
  const auto = page.getByRole('checkbox', { name: /Fine-tune my companion by itself/ })
  await expect(auto).not.toBeChecked()
  await check(page, 'companion-empty')

  // start by keyboard: the adapter shows up queued or training, updating by itself
  await adapters.getByRole('button', { name: 'Start a fine-tune' }).focus()
  await page.keyboard.press('Enter')
  const row = adapters.getByTestId('adapter')
  await expect(row).toHaveCount(1)
  await expect(row.getByTestId('adapter-state')).toHaveText(/^(waiting to start|training)$/)
  await expect(adapters.getByRole('button', { name: 'Start a fine-tune' })).toBeDisabled()
  await expect(adapters).toContainText('A fine-tune is already under way.')
  await check(page, 'companion-training')
  await row.getByRole('button', { name: 'Cancel fine-tune' }).focus()
  await page.keyboard.press('Enter')
  await expect(row.getByTestId('adapter-state')).toHaveText('cancelled', { timeout: 60_000 })
  await expect(row.getByRole('button', { name: 'Cancel fine-tune' })).toHaveCount(0)
  await expect(adapters.getByRole('button', { name: 'Start a fine-tune' })).toBeEnabled()
  const models = await (await request.get('/api/models', { headers })).json()
  const adapter = models.find((m: { kind: string }) => m.kind === 'adapter')
  const status = await (await request.get(`/api/models/${adapter.id}/status`, { headers })).json()
  expect(status.state).toBe('cancelled')
  await check(page, 'companion-cancelled')

  // automatic fine-tuning: a preference, saved at once
  await auto.focus()
  await page.keyboard.press('Space')
  await expect(page.getByRole('status').filter({ hasText: 'Automatic fine-tuning is on.' })).toBeVisible()
  let me = await (await request.get('/api/users/me', { headers })).json()
  expect(me.preferences.autoFineTune).toBe(true)
  await page.keyboard.press('Space')
  await expect(page.getByRole('status').filter({ hasText: 'Automatic fine-tuning is off.' })).toBeVisible()
  me = await (await request.get('/api/users/me', { headers })).json()
  expect(me.preferences.autoFineTune).toBe(false)
  // no admin section for a user
  await expect(page.getByRole('region', { name: 'Service models (administrators)' })).toHaveCount(0)

  await page.setViewportSize({ width: 390, height: 844 })
  // nothing wider than the phone
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await check(page, 'companion-phone')
})

test('my companion for an administrator: the base models and the default-model switch', async ({ page }) => {
  const email = uniqueEmail('admin')
  const python = process.env.CONFIDANT_PYTHON || resolve(import.meta.dirname, '..', '..', '.venv/bin/python')
  execFileSync(python, ['-m', 'confidant', 'create-admin', '--email', email, '--name', 'Admin', '--password', PASSWORD], {
    cwd: resolve(import.meta.dirname, '..', '..'),
    env: { ...process.env, PYTHONPATH: resolve(import.meta.dirname, '..', '..', 'src'), CONFIDANT_DATA_DIR: process.env.E2E_DATA_DIR! },
    timeout: 120_000,
  })
  await page.goto('/sign-in')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/dashboard$/)
  await page.goto('/companion')
  const admin = page.getByRole('region', { name: 'Service models (administrators)' })
  const table = admin.getByRole('table', { name: 'Base models' })
  await expect(table.getByRole('row')).not.toHaveCount(1)
  await expect(table).toContainText('(default)')
  await expect(admin.getByLabel('Default model for everyone')).toBeVisible()
  // the default is already in use: nothing to switch to
  await expect(admin.getByRole('button', { name: 'Use for everyone' })).toBeDisabled()
  await check(page, 'companion-admin')
})
