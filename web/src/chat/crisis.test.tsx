import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import '../i18n'
import { CrisisBanner, withoutResources } from './crisis'

const GB =
  'If you are thinking about ending your life or hurting yourself, please reach out now: call Samaritans free on 116 123 (24/7), text SHOUT to 85258, or call 999 if you are in immediate danger.'

describe('crisis banner', () => {
  it('is an alert with tap-to-call links for each number, and not for 24/7', () => {
    render(<CrisisBanner resources={GB} />)
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent('116 123 (24/7)')
    const links = screen.getAllByRole('link').map((a) => [a.textContent, a.getAttribute('href')])
    expect(links).toEqual([
      ['116 123', 'tel:116123'],
      ['85258', 'tel:85258'],
      ['999', 'tel:999'],
    ])
  })

  it('links web addresses and grouped numbers', () => {
    render(<CrisisBanner resources="call Lifeline on 13 11 14, or 000; see https://findahelpline.com." />)
    const hrefs = screen.getAllByRole('link').map((a) => a.getAttribute('href'))
    expect(hrefs).toEqual(['tel:131114', 'tel:000', 'https://findahelpline.com'])
  })

  it('takes the resources off the front of the reply, which the banner shows', () => {
    expect(withoutResources(`${GB}\n\nI'm here with you.`, GB)).toBe("I'm here with you.")
    expect(withoutResources('Something else', GB)).toBe('Something else')
    expect(withoutResources('Anything', null)).toBe('Anything')
  })
})
