import { expect, test, type APIRequestContext } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const response = await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  expect(response.ok()).toBe(true)
  return { Authorization: `Bearer ${(await response.json()).accessToken}` }
}

test('dashboard: today, the mood trend with gaps and questionnaire marks, goal, progress, level; no news without a feed', async ({ page, request }) => {
  const email = uniqueEmail('dash')
  await createAccount(page, 'Thu', email, PASSWORD)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click()
  await expect(page).toHaveTitle('Confidant — Dashboard')
  await expect(page.getByRole('heading', { name: 'Your dashboard' })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Today' }).getByRole('heading', { name: 'Suggested for you' })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Call' })).toBeVisible()
  // nothing logged: every day is a gap
  const table = page.getByRole('table', { name: 'Mood and check-ins by day' })
  await expect(table.getByRole('row')).toHaveCount(8)
  await expect(table.getByText('no log')).toHaveCount(7)
  await expect(page.locator('svg path.stroke-accent')).toHaveCount(0)
  // the e2e server has no feed: no news card at all
  const news = await request.get('/api/news')
  expect((await news.json()).items).toEqual([])
  await expect(page.getByTestId('news-card')).toHaveCount(0)
  await expect(page.getByRole('heading', { name: 'Health news' })).toHaveCount(0)
  await check(page, 'dashboard-empty')

  // two days logged with a day between them: two separate points, no line through the gap
  const headers = await bearer(request, email)
  const day = 24 * 3600 * 1000
  for (const [ago, score] of [
    [2, 4],
    [0, 8],
  ] as const) {
    const response = await request.post('/api/mood', { headers, data: { score, loggedAt: new Date(Date.now() - ago * day - 60_000).toISOString() } })
    expect(response.status()).toBe(201)
  }
  const phq = await request.post('/api/assessments/phq-9/responses', { headers, data: { answers: [1, 1, 0, 0, 0, 0, 0, 0, 0] } })
  expect(phq.status()).toBe(201)
  const habit = await request.post('/api/habits', { headers, data: { name: 'Walk', targetPerWeek: 2 } })
  await request.post(`/api/habits/${(await habit.json()).id}/check-ins`, { headers, data: {} })
  await page.reload()
  await expect(table.getByText('no log')).toHaveCount(5)
  await expect(page.locator('svg circle[data-day]')).toHaveCount(2)
  await expect(page.locator('svg path.stroke-accent')).toHaveCount(0) // single-day runs are dots
  await expect(page.locator('svg [data-mark-day]')).toHaveCount(1)
  await expect(table.getByRole('row').last()).toContainText('8')
  await expect(table.getByRole('row').last()).toContainText('PHQ-9: 2 of 27')
  await expect(page.getByRole('region', { name: 'Weekly goal' })).toContainText('1 of 2 habit check-ins this week')
  await expect(page.getByRole('region', { name: 'Weekly goal' })).toContainText('50%')
  const progress = page.getByRole('region', { name: 'Progress' })
  await expect(progress.getByRole('row', { name: /Average mood/ })).toContainText('6 of 10')
  const level = page.getByRole('region', { name: 'Streak and level' })
  await expect(level.getByTestId('streak')).toHaveText(/\d+ days?/)
  await expect(level).toContainText(/XP more to reach level \d+/)

  // keyboard: the table toggle and the month range
  await page.getByRole('button', { name: 'Show as a table' }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('button', { name: 'Hide the table' })).toHaveAttribute('aria-expanded', 'true')
  await page.getByRole('button', { name: 'Month' }).focus()
  await page.keyboard.press('Space')
  await expect(page.getByRole('button', { name: 'Month' })).toHaveAttribute('aria-pressed', 'true')
  await expect(table.getByRole('row')).toHaveCount(31)
  await check(page, 'dashboard-month')
  // the chat pane leads to the chat
  await page.getByRole('link', { name: 'Open the chat' }).focus()
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(/\/chat/)

  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto('/dashboard')
  await expect(page.getByRole('heading', { name: 'Your dashboard' })).toBeVisible()
  await expect(page.locator('svg circle[data-day]')).toHaveCount(2)
  // nothing wider than the phone
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await check(page, 'dashboard-phone')
})

test('Vietnamese on the dashboard, check-ins, mood and habits, and my companion: titles, headings, axe clean', async ({ page, request }) => {
  const email = uniqueEmail('dashvi')
  await createAccount(page, 'Lan', email, PASSWORD)
  const headers = await bearer(request, email)
  await request.patch('/api/users/me', { headers, data: { preferences: { language: 'vi' } } })
  await page.goto('/')
  // signed in: the start page leads to the dashboard
  await expect(page).toHaveURL(/\/dashboard$/)
  await expect(page.locator('html')).toHaveAttribute('lang', 'vi')
  for (const [link, title, heading] of [
    ['Tổng quan', 'Tổng quan', 'Tổng quan của bạn'],
    ['Tự đánh giá', 'Tự đánh giá', 'Tự đánh giá'],
    ['Tâm trạng & thói quen', 'Tâm trạng & thói quen', 'Tâm trạng, thói quen và chánh niệm'],
    ['Người bạn của tôi', 'Người bạn của tôi', 'Người bạn của tôi'],
  ] as const) {
    await page.getByRole('navigation', { name: 'Chính' }).getByRole('link', { name: link, exact: true }).click()
    await expect(page).toHaveTitle(`Confidant — ${title}`)
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible()
    await check(page, `vi-${link}`)
  }
  await page.goto('/dashboard')
  await expect(page.getByRole('table', { name: 'Tâm trạng và bảng hỏi theo ngày' })).toBeAttached()
})
