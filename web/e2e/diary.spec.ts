import { expect, test, type Page } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

async function write(page: Page, text: string, date: string, mood: string, tags: string) {
  await page.getByRole('textbox', { name: 'Diary entry' }).fill(text)
  await page.getByLabel('Date').fill(date)
  await page.getByLabel('Mood (1–10)').fill(mood)
  await page.getByLabel('Tags').fill(tags)
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()
}

test('diary: write, edit, delete, import, search with highlights, ask; chat replies cite the entry', async ({ page }) => {
  await createAccount(page, 'Linh', uniqueEmail('diary'), 'a long enough password')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Diary' }).click()
  await expect(page).toHaveTitle('Confidant — Diary')
  await check(page, 'diary-empty')

  await write(page, 'Went hiking at Lake Moraine with my sister Mai. The water was turquoise.', '2025-03-04', '8', 'hiking, family')
  await write(page, 'A slow Sunday, I read a book about lighthouses.', '2025-03-09', '6', 'reading')
  const entries = page.getByRole('region', { name: 'Entries' })
  await expect(entries.getByRole('article')).toHaveCount(2)
  const sunday = entries.getByRole('article', { name: /Sunday, March 9, 2025/ })
  await expect(sunday).toContainText('Mood 6/10')

  // edit, then delete
  await sunday.getByRole('button', { name: /^Edit the entry of/ }).click()
  await sunday.getByRole('textbox', { name: 'Diary entry' }).fill('A slow Sunday, I read a book about old lighthouses.')
  await sunday.getByRole('button', { name: 'Save' }).click()
  await expect(sunday).toContainText('old lighthouses')
  await sunday.getByRole('button', { name: /^Delete the entry of/ }).click()
  await sunday.getByRole('button', { name: 'Delete', exact: true }).click()
  await expect(entries.getByRole('article')).toHaveCount(1)

  // import a Markdown file: a summary of what came in
  await page.getByLabel('Import a file').setInputFiles({
    name: 'journal.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('## 2025-02-01\nFirst day at the pottery class.\n\n## 2025-02-02\nMade a lopsided bowl and laughed about it.\n'),
  })
  await expect(page.getByRole('status').filter({ hasText: 'Imported 2 entries' })).toBeVisible()
  await expect(entries.getByRole('article')).toHaveCount(3)

  // search: the words are highlighted (indexing is a background job: try until it is done)
  const search = page.getByRole('searchbox', { name: 'Search' })
  await search.fill('pottery')
  await expect(async () => {
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await expect(page.locator('mark', { hasText: /pottery/i }).first()).toBeVisible({ timeout: 10_000 })
  }).toPass({ timeout: 90_000 })
  await check(page, 'diary-search')

  // ask my diary: an answer with its sources
  await page.getByLabel('Question for your diary').fill('Where did I go hiking with my sister?')
  await page.getByRole('button', { name: 'Ask my diary' }).click()
  const answer = page.getByRole('region', { name: 'Answer' })
  await expect(answer).toBeVisible({ timeout: 90_000 })
  await answer.getByText(/^Drawn from/).click()
  await expect(answer.getByRole('link', { name: /^Diary entry of/ }).first()).toBeVisible()

  // a chat reply draws on the diary: sources with the date and a link to the entry
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click()
  await page.getByRole('textbox', { name: 'Message' }).fill('Remind me about hiking at Lake Moraine with Mai')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible({ timeout: 90_000 })
  const reply = page.getByRole('log').getByRole('article', { name: 'Confidant' }).last()
  await reply.getByText(/^Drawn from/).click()
  const link = reply.getByRole('link', { name: 'Diary entry of Mar 4, 2025' })
  await expect(link).toBeVisible()
  await expect(reply).toContainText('Lake Moraine')
  await check(page, 'chat-sources')
  await link.click()
  await expect(page).toHaveURL(/\/diary\?entry=/)
  await expect(page.getByRole('region', { name: 'Entries' }).locator('li.border-2')).toContainText('Lake Moraine')
})

test('diary: more than a page of entries (a JSON import of 105): older ones on request', async ({ page }) => {
  await createAccount(page, 'Bao', uniqueEmail('many'), 'a long enough password')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Diary' }).click()
  const start = Date.UTC(2024, 0, 1)
  const entries = Array.from({ length: 105 }, (_, i) => ({
    date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
    text: `Day ${i + 1} of the year.`,
  }))
  await page.getByLabel('Import a file').setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ entries })) })
  await expect(page.getByRole('status').filter({ hasText: 'Imported 105 entries' })).toBeVisible()
  const list = page.getByRole('region', { name: 'Entries' })
  await expect(list.getByRole('article')).toHaveCount(100)
  await list.getByRole('button', { name: 'Show older entries' }).click()
  await expect(list.getByRole('article')).toHaveCount(105)
  await expect(list.getByRole('button', { name: 'Show older entries' })).toHaveCount(0)
  await expect(list.getByRole('article').last()).toContainText('Day 1 of the year.')
})
