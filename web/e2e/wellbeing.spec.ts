import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const response = await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  expect(response.ok()).toBe(true)
  return { Authorization: `Bearer ${(await response.json()).accessToken}` }
}

async function openWellbeing(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mood & habits' }).click()
  await expect(page).toHaveTitle('Confidant — Mood & habits')
  await expect(page.getByRole('heading', { name: 'Mood, habits and mindfulness' })).toBeVisible()
}

test('mood log by keyboard shows in the dashboard trend; a habit check-in shows in the grid', async ({ page }) => {
  await createAccount(page, 'Hoa', uniqueEmail('mood'), PASSWORD)
  await openWellbeing(page)
  await check(page, 'wellbeing-empty')

  // keyboard only: arrows pick the score, Tab to the note and tags, Enter logs it
  await page.getByRole('radio', { name: '1', exact: true }).focus()
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('radio', { name: '7', exact: true })).toBeChecked()
  await page.keyboard.press('Tab')
  await expect(page.getByLabel('Note (optional)')).toBeFocused()
  await page.keyboard.type('Calm after a walk')
  await page.keyboard.press('Tab')
  await page.keyboard.type('walk, evening')
  await page.keyboard.press('Tab')
  await expect(page.getByRole('button', { name: 'Log mood' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'Mood logged.' })).toBeVisible()
  await expect(page.getByText('Calm after a walk')).toBeVisible()
  await expect(page.getByText('#walk #evening')).toBeVisible()

  // a habit, checked in today from the grid by keyboard
  await page.getByLabel('New habit').fill('Stretch')
  await page.getByLabel('New habit').press('Enter')
  const grid = page.getByRole('table', { name: 'Your habits and the days you checked in' })
  await expect(grid.getByRole('rowheader', { name: 'Stretch' })).toBeVisible()
  const cells = grid.getByRole('row', { name: /Stretch/ }).getByRole('button')
  await expect(cells).toHaveCount(8)
  const today = cells.last()
  await expect(today).toHaveAttribute('aria-pressed', 'false')
  await expect(today).toBeEnabled()
  await today.focus()
  await page.keyboard.press('Enter')
  await expect(today).toHaveAttribute('aria-pressed', 'true')
  await expect(grid.getByRole('row', { name: /Stretch/ })).toContainText('1 of 7')
  // and a day back
  await cells.nth(5).click()
  await expect(cells.nth(5)).toHaveAttribute('aria-pressed', 'true')
  await expect(grid.getByRole('row', { name: /Stretch/ })).toContainText('2 of 7')
  await page.reload()
  await expect(page.getByRole('table', { name: 'Your habits and the days you checked in' }).getByRole('row', { name: /Stretch/ }).getByRole('button').last()).toHaveAttribute('aria-pressed', 'true')
  await check(page, 'wellbeing-logged')

  // the dashboard: today's mood in the trend (the table has the same figures as the chart)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click()
  const table = page.getByRole('table', { name: 'Mood and check-ins by day' })
  await expect(table.getByRole('row').last()).toContainText('7')
  await expect(page.locator('svg circle[data-day]')).toHaveCount(1)
  await expect(page.getByRole('region', { name: 'Weekly goal' })).toContainText('2 of 7')

  await page.setViewportSize({ width: 390, height: 844 })
  await openWellbeing(page)
  // nothing wider than the phone
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await check(page, 'wellbeing-phone')
})

test('mindfulness: the breathing guide counts down and the session is recorded', async ({ page, request }) => {
  const email = uniqueEmail('calm')
  await page.clock.install()
  await createAccount(page, 'Minh', email, PASSWORD)

  // a wearable's day shows only once there is data
  await openWellbeing(page)
  await expect(page.getByRole('region', { name: 'Today from your wearable' })).toHaveCount(0)
  const headers = await bearer(request, email)
  const at = new Date(Date.now() - 60_000).toISOString()
  const pushed = await request.post('/api/sensors', {
    headers,
    data: {
      samples: [
        { id: 's1', type: 'steps', value: 4321, at },
        { id: 'h1', type: 'heart_rate', value: 64, at },
        { id: 'h2', type: 'heart_rate', value: 72, at },
        { id: 'z1', type: 'sleep_minutes', value: 450, at },
      ],
    },
  })
  expect(pushed.ok()).toBe(true)
  await page.reload()
  const wearable = page.getByRole('region', { name: 'Today from your wearable' })
  await expect(wearable).toContainText('4,321')
  await expect(wearable).toContainText('7 h 30 min')
  await expect(wearable).toContainText('average 68 bpm')

  const section = page.getByRole('region', { name: 'Mindfulness' })
  await section.getByRole('radio', { name: '1 minute' }).focus()
  await expect(section.getByRole('radio', { name: '1 minute' })).toBeChecked()
  await page.keyboard.press('Tab')
  await expect(section.getByRole('button', { name: 'Start' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(section.getByText(/^Breathe in · \d$/)).toBeVisible()
  await expect(section.getByRole('timer')).toHaveText(/^(1:00|0:59)$/)
  await expect(page.getByTestId('breathing-circle')).toBeVisible()
  await check(page, 'mindfulness-running')
  await page.clock.runFor(5_000)
  await expect(section.getByText(/^Hold · \d$/)).toBeVisible()
  await page.clock.runFor(56_000)
  await expect(section.getByRole('status').filter({ hasText: 'Well done: a 1-minute session recorded.' })).toBeVisible()
  await expect(section.getByRole('heading', { name: 'Recent sessions' })).toBeVisible()
  const listed = await request.get('/api/mindfulness/sessions', { headers })
  const sessions = (await listed.json()).items
  expect(sessions).toHaveLength(1)
  expect(sessions[0].durationMin).toBe(1)
  await check(page, 'mindfulness-done')
})

test('mindfulness under reduced motion: a static text guide, no animated circle', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' })
  await createAccount(page, 'An', uniqueEmail('still'), PASSWORD)
  await openWellbeing(page)
  const section = page.getByRole('region', { name: 'Mindfulness' })
  await section.getByRole('button', { name: 'Start' }).click()
  await expect(section.getByText(/^Breathe in · \d$/)).toBeVisible()
  await expect(page.getByTestId('breathing-circle')).toHaveCount(0)
  await expect(section).toContainText('Breathe in for 4 seconds, hold for 2, then breathe out for 6.')
  await section.getByRole('button', { name: 'Stop' }).click()
  await expect(section.getByRole('button', { name: 'Start' })).toBeVisible()
})
