import { expect, test } from '@playwright/test'
import { check, createAccount, screenshot, uniqueEmail } from './helpers'

test('medical card: fields with labels, BMI from the server, shareable fields, printable card with the emergency QR', async ({ page }) => {
  await createAccount(page, 'Phuong', uniqueEmail('card'), 'a long enough password')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Medical card' }).click()
  await expect(page).toHaveTitle('Confidant — Medical card')
  await expect(page.getByText('Enter your height and weight to see your BMI.')).toBeVisible()
  await page.getByLabel('Height (cm)').fill('170')
  await page.getByLabel('Weight (kg)').fill('65')
  await page.getByRole('combobox', { name: 'Blood type' }).selectOption('O+')
  await page.getByRole('textbox', { name: 'Allergies' }).fill('Penicillin\nPeanuts')
  await page.getByRole('button', { name: 'Add a contact' }).click()
  const contact = page.getByRole('group', { name: 'Emergency contact 1' })
  await contact.getByLabel('Contact name').fill('Anh')
  await contact.getByLabel('Phone').fill('+84 912 345 678')
  await contact.getByLabel('Relation').fill('brother')
  await page.getByRole('checkbox', { name: 'Blood type' }).check()
  await page.getByRole('checkbox', { name: 'Allergies' }).check()
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByText('Your medical card is saved.')).toBeVisible()
  await expect(page.getByText('BMI 22.5: normal range')).toBeVisible()
  // the saved card comes back from the server as saved
  await page.reload()
  await expect(page.getByLabel('Height (cm)')).toHaveValue('170')
  await expect(page.getByRole('checkbox', { name: 'Allergies' })).toBeChecked()
  await expect(page.getByRole('checkbox', { name: 'Medications' })).not.toBeChecked()

  await page.getByRole('button', { name: 'Regenerate QR' }).click()
  await expect(page.getByText('the old code, on any card you printed, stops working at once')).toBeVisible()
  await page.getByRole('button', { name: 'Make a new code' }).click()
  const qr = page.getByRole('img', { name: 'Emergency QR code' })
  await expect(qr).toBeVisible()
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
  const card = page.getByRole('region', { name: 'Emergency card' })
  await expect(card).toContainText('Penicillin, Peanuts')
  await expect(card).toContainText('Anh (brother): +84912345678') // the server normalises phone numbers
  await check(page, 'medical-card')

  // the print stylesheet: only the card, with its QR code
  await page.emulateMedia({ media: 'print' })
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden()
  await expect(page.getByLabel('Height (cm)')).toBeHidden()
  await expect(qr).toBeVisible()
  await screenshot(page, 'medical-card-print')
  await page.emulateMedia({ media: 'screen' })
})
