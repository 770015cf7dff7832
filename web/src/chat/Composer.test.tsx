import { describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import '../i18n'
import { Composer } from './Composer'

describe('message composer', () => {
  it('Enter sends the trimmed text and empties the box', async () => {
    const onSend = vi.fn()
    render(<Composer onSend={onSend} onStop={() => {}} streaming={false} />)
    const box = screen.getByRole('textbox', { name: 'Message' })
    await userEvent.type(box, '  hello  {Enter}')
    expect(onSend).toHaveBeenCalledWith('hello')
    expect(box).toHaveValue('')
  })

  it('Shift+Enter is a new line, not a send', async () => {
    const onSend = vi.fn()
    render(<Composer onSend={onSend} onStop={() => {}} streaming={false} />)
    const box = screen.getByRole('textbox', { name: 'Message' })
    await userEvent.type(box, 'one{Shift>}{Enter}{/Shift}two')
    expect(onSend).not.toHaveBeenCalled()
    expect(box).toHaveValue('one\ntwo')
    await userEvent.click(screen.getByRole('button', { name: 'Send' }))
    expect(onSend).toHaveBeenCalledWith('one\ntwo')
  })

  it('Enter while an input method is composing does not send', () => {
    const onSend = vi.fn()
    render(<Composer onSend={onSend} onStop={() => {}} streaming={false} />)
    const box = screen.getByRole('textbox', { name: 'Message' })
    fireEvent.change(box, { target: { value: 'xin chà' } })
    fireEvent.keyDown(box, { key: 'Enter', isComposing: true })
    fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 })
    expect(onSend).not.toHaveBeenCalled()
  })

  it('empty text is not sent', async () => {
    const onSend = vi.fn()
    render(<Composer onSend={onSend} onStop={() => {}} streaming={false} />)
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}')
    expect(onSend).not.toHaveBeenCalled()
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled()
  })

  it('while a reply streams: Stop instead of Send, and Enter does not send', async () => {
    const onSend = vi.fn()
    const onStop = vi.fn()
    render(<Composer onSend={onSend} onStop={onStop} streaming />)
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull()
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'next{Enter}')
    expect(onSend).not.toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Stop' }))
    expect(onStop).toHaveBeenCalledOnce()
  })
})
