import { describe, expect, it } from 'vitest'
import en from './locales/en.json'
import vi from './locales/vi.json'

type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else for (const [k, v] of flatten(value, path)) out.set(k, v)
  }
  return out
}

const vars = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort()

describe('translations', () => {
  const english = flatten(en as Tree)
  const vietnamese = flatten(vi as Tree)

  it('Vietnamese has every English string', () => {
    const missing = [...english.keys()].filter((key) => !vietnamese.has(key))
    expect(missing).toEqual([])
  })

  it('Vietnamese has nothing English lacks', () => {
    expect([...vietnamese.keys()].filter((key) => !english.has(key))).toEqual([])
  })

  it('no string is empty, and each keeps its placeholders', () => {
    for (const [key, text] of english) {
      const translated = vietnamese.get(key) ?? ''
      expect(translated.trim(), key).not.toBe('')
      expect(vars(translated), key).toEqual(vars(text))
    }
  })

  it('every key the code uses exists', async () => {
    const sources = import.meta.glob(['./**/*.{ts,tsx}', '!./**/*.test.{ts,tsx}'], { query: '?raw', import: 'default', eager: true })
    const used = new Set<string>()
    for (const text of Object.values(sources) as string[]) {
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(match[1])
    }
    expect(used.size).toBeGreaterThan(50)
    const unknown = [...used].filter((key) => !english.has(key) && !english.has(`${key}_one`))
    expect(unknown).toEqual([])
  })
})
