import { expect, test, type Page } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

/** Answer the current question by keyboard: Space picks the first answer, each arrow the next. */
async function answer(page: Page, value: number) {
  const first = page.getByRole('radio').first()
  await expect(first).toBeFocused()
  if (value === 0) await page.keyboard.press('Space')
  for (let i = 0; i < value; i++) await page.keyboard.press('ArrowDown')
  await expect(page.getByRole('radio').nth(value)).toBeChecked()
}

async function openCheckIns(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Check-ins' }).click()
  await expect(page).toHaveTitle('Confidant — Check-ins')
}

test('PHQ-9 by keyboard: published wording, Back, and item 9 shows the crisis resources before the result', async ({ page }) => {
  await createAccount(page, 'Quang', uniqueEmail('phq'), PASSWORD)
  await openCheckIns(page)
  await expect(page.getByRole('heading', { name: 'PHQ-9 (depression)', exact: true })).toBeVisible()
  await check(page, 'checkins-start')

  await page.getByRole('button', { name: 'Start PHQ-9 (depression)' }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByText('Over the last 2 weeks, how often have you been bothered by any of the following problems?')).toBeVisible()
  await expect(page.getByRole('group', { name: 'Little interest or pleasure in doing things' })).toBeVisible()
  await expect(page.getByText('Question 1 of 9')).toBeVisible()
  for (const label of ['Not at all', 'Several days', 'More than half the days', 'Nearly every day']) {
    await expect(page.getByRole('radio', { name: label })).toBeVisible()
  }
  await check(page, 'checkins-question')
  await answer(page, 2)
  await page.keyboard.press('Enter')
  await expect(page.getByText('Question 2 of 9')).toBeVisible()
  await expect(page.getByRole('group', { name: 'Feeling down, depressed, or hopeless' })).toBeVisible()
  // Back keeps the earlier answer
  await page.getByRole('button', { name: 'Back' }).click()
  await expect(page.getByText('Question 1 of 9')).toBeVisible()
  await expect(page.getByRole('radio', { name: 'More than half the days' })).toBeChecked()
  await expect(page.getByRole('radio', { name: 'More than half the days' })).toBeFocused()
  await page.keyboard.press('Enter')
  for (let item = 2; item <= 8; item++) {
    await expect(page.getByText(`Question ${item} of 9`)).toBeVisible()
    await answer(page, item === 2 ? 1 : 0)
    await page.keyboard.press('Enter')
  }
  await expect(page.getByRole('group', { name: 'Thoughts that you would be better off dead, or of hurting yourself in some way' })).toBeVisible()
  await expect(page.getByRole('alert')).toHaveCount(0)
  await answer(page, 1)
  // at once, before the result: the resources
  const banner = page.getByRole('alert').filter({ hasText: "You don't have to go through this alone" })
  await expect(banner).toBeVisible()
  await expect(banner.getByRole('link').first()).toHaveAttribute('href', /^(tel:|https?:)/)
  await expect(page.getByRole('heading', { name: /result/ })).toHaveCount(0)
  await check(page, 'checkins-crisis')
  await page.keyboard.press('Enter')
  const result = page.getByRole('region', { name: 'Your PHQ-9 (depression) result' })
  await expect(result).toBeVisible()
  await expect(banner).toBeVisible()
  const [bannerBox, resultBox] = [await banner.boundingBox(), await result.boundingBox()]
  expect(bannerBox!.y).toBeLessThan(resultBox!.y)
  await expect(result.getByTestId('checkin-score')).toHaveText('4 of 27')
  await expect(result).toContainText('Minimal or no symptoms')
  await expect(result).toContainText('This is a screening, not a diagnosis.')
  await check(page, 'checkins-result')
  await result.getByRole('button', { name: 'Done' }).click()
  await expect(page.getByRole('table', { name: 'Your PHQ-9 (depression) history' })).toContainText('4 of 27')
})

test('GAD-7 twice shows the trend; WHO-5 wording; phone size; Vietnamese', async ({ page, request }) => {
  const email = uniqueEmail('gad')
  await createAccount(page, 'Vy', email, PASSWORD)
  await openCheckIns(page)
  for (const value of [2, 1]) {
    await page.getByRole('button', { name: 'Start GAD-7 (anxiety)' }).click()
    await expect(page.getByRole('group', { name: 'Feeling nervous, anxious, or on edge' })).toBeVisible()
    for (let item = 1; item <= 7; item++) {
      await expect(page.getByText(`Question ${item} of 7`)).toBeVisible()
      await answer(page, value)
      await page.keyboard.press('Enter')
    }
    const result = page.getByRole('region', { name: 'Your GAD-7 (anxiety) result' })
    await expect(result.getByTestId('checkin-score')).toHaveText(`${value * 7} of 21`)
    await expect(page.getByRole('alert')).toHaveCount(0)
    await result.getByRole('button', { name: 'Done' }).click()
  }
  await expect(page.getByTestId('trend-gad-7')).toHaveText('Better by 7 points since the time before.')
  const history = page.getByRole('table', { name: 'Your GAD-7 (anxiety) history' })
  await expect(history.getByRole('row')).toHaveCount(3)
  await expect(history).toContainText('Moderate symptoms')
  await expect(history).toContainText('Mild symptoms')

  await page.getByRole('button', { name: 'Start WHO-5 (wellbeing)' }).click()
  await expect(page.getByText('Over the last 2 weeks, how much of the time has each statement been true for you?')).toBeVisible()
  await expect(page.getByRole('radio', { name: 'All of the time' })).toBeVisible()
  await expect(page.getByRole('radio', { name: 'At no time' })).toBeVisible()
  await page.setViewportSize({ width: 390, height: 844 })
  // nothing wider than the phone
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await check(page, 'checkins-who5-phone')
  await page.getByRole('button', { name: 'Cancel' }).click()
  await check(page, 'checkins-history-phone')

  const login = await request.post('/api/auth/login', { data: { email, password: PASSWORD } })
  const headers = { Authorization: `Bearer ${(await login.json()).accessToken}` }
  await request.patch('/api/users/me', { headers, data: { preferences: { language: 'vi' } } })
  await page.goto('/check-ins')
  await page.getByRole('button', { name: 'Bắt đầu PHQ-9 (trầm cảm)' }).click()
  await expect(page.getByRole('group', { name: 'Ít hứng thú hoặc không thấy vui khi làm việc gì' })).toBeVisible()
  await expect(page.getByRole('radio', { name: 'Gần như mọi ngày' })).toBeVisible()
  await check(page, 'checkins-vi')
})
