import { expect, test, type Page } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

async function write(page: Page, text: string, date: string, saved: string) {
  await page.getByRole('textbox', { name: 'Diary entry' }).fill(text)
  await page.getByLabel('Date').fill(date)
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').filter({ hasText: saved })).toBeVisible()
}

/** How many reads this device keeps in IndexedDB (src/offline/reads.ts). */
function keptReads(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const opening = indexedDB.open('confidant-offline')
        opening.onerror = () => reject(opening.error)
        opening.onsuccess = () => {
          const db = opening.result
          if (!db.objectStoreNames.contains('reads')) return resolve(0)
          const counting = db.transaction('reads').objectStore('reads').count()
          counting.onsuccess = () => {
            resolve(counting.result)
            db.close()
          }
        }
      }),
  )
}

test('offline: the app opens with no network, shows the diary kept here, and what is written offline is stored once', async ({ page, context, request }) => {
  const email = uniqueEmail('offline')
  await createAccount(page, 'Thu', email, PASSWORD)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Diary' }).click()
  await write(page, 'A morning walk in the rain, and hot tea after.', '2025-06-01', 'Saved.')
  const entries = page.getByRole('region', { name: 'Entries' })
  await expect(entries.getByRole('article')).toHaveCount(1)

  // The service worker keeps the shell; the diary just read is kept on the device.
  await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state)).toBe('activated')
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await expect.poll(() => keptReads(page)).toBeGreaterThan(0)

  // No network at all: the page itself comes from the service worker.
  await context.setOffline(true)
  const reloaded = await page.reload()
  expect(reloaded?.fromServiceWorker()).toBe(true)
  await expect(page).toHaveTitle('Confidant — Diary')
  await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible()
  await expect(entries.getByRole('article', { name: /^Entry of Sunday, June 1, 2025$/ })).toContainText('A morning walk in the rain')
  await expect(page.getByText('You are offline: these are the entries last seen on this device.')).toBeVisible()

  // Written offline: kept on the device, shown as waiting.
  const text = 'Written on the train with no signal: the hills were green.'
  await write(page, text, '2025-06-02', 'Saved on this device. It will be sent when you are back online.')
  const waiting = entries.getByRole('article', { name: /waiting to be sent$/ })
  await expect(waiting).toContainText(text)
  await expect(waiting).toContainText('Waiting to be sent')
  await expect(page.getByRole('status').filter({ hasText: '1 change waiting to be sent' })).toBeVisible()
  await check(page, 'diary-offline')

  // Back online, the first answer is lost on its way back (the server did store the
  // entry): the device keeps it and sends it again, with the same key.
  const keys: string[] = []
  await context.route('**/api/diary', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback()
    keys.push(route.request().headers()['idempotency-key'])
    if (keys.length === 1) {
      await route.fetch()
      return route.abort('connectionreset')
    }
    return route.fallback()
  })
  await context.setOffline(false)
  await expect.poll(() => keys.length).toBeGreaterThanOrEqual(1)
  await expect(waiting).toBeVisible()
  await context.setOffline(true) // the network drops and comes back: `online` sends again
  await context.setOffline(false)
  await expect.poll(() => keys.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2)
  await expect(waiting).toHaveCount(0)
  await expect(entries.getByRole('article', { name: /^Entry of Monday, June 2, 2025$/ })).toContainText(text)
  await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toHaveCount(0)
  expect(new Set(keys).size).toBe(1)
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)

  // The server has it exactly once.
  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  expect(login.ok()).toBe(true)
  const { accessToken } = (await login.json()) as { accessToken: string }
  const listed = await request.get('/api/diary?limit=100', { headers: { Authorization: `Bearer ${accessToken}` } })
  const { items } = (await listed.json()) as { items: { text: string }[] }
  expect(items.filter((item) => item.text === text)).toHaveLength(1)
  expect(items).toHaveLength(2)

  // Signing out leaves nothing of theirs on the device.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/$/)
  await expect.poll(() => keptReads(page)).toBe(0)
})
