import { PINNED_KEY_STORAGE, pinnedKey, repin } from './pin'

const A = 'example.org/ledger+d7dea6fc+AYThrSJjo8vTRoRd5fWUbJmkK/Dy+eYcDqNStMFCuM+h'
const B = 'example.org/ledger+9ed2a1e2+AdR1aBfRqVNmNp+lD+Jl0UghiMpWE5DUS+xUqEkJnsE+'

beforeEach(() => localStorage.clear())

test('trust on first use: the first key seen is pinned and kept; a later one does not replace it', () => {
  expect(pinnedKey(A, null)).toEqual({ key: A, source: 'firstUse', new: true })
  expect(localStorage.getItem(PINNED_KEY_STORAGE)).toBe(A)
  expect(pinnedKey(B, null)).toEqual({ key: A, source: 'firstUse', new: false })
  expect(localStorage.getItem(PINNED_KEY_STORAGE)).toBe(A)
})

test('a key fixed at build time wins over storage and over the server', () => {
  localStorage.setItem(PINNED_KEY_STORAGE, B)
  expect(pinnedKey(B, A)).toEqual({ key: A, source: 'build', new: false })
})

test('repin is the one way to trust another key', () => {
  pinnedKey(A, null)
  repin(B)
  expect(pinnedKey(A, null).key).toBe(B)
})
