/** Where the query's words occur in a snippet, for when the server marked none
 *  (its marks come from stemmed terms, which miss words like "pottery" → "potteri").
 *  A word matches when it starts with the query word less its last two letters (three at least). */
export function queryHighlights(snippet: string, query: string): [number, number][] {
  const stems = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [])]
    .filter((w) => w.length > 2)
    .map((w) => (w.length > 4 ? w.slice(0, Math.max(3, w.length - 2)) : w))
  if (!stems.length) return []
  const marks: [number, number][] = []
  for (const match of snippet.matchAll(/[\p{L}\p{N}']+/gu)) {
    const word = match[0].toLowerCase()
    if (stems.some((stem) => word.startsWith(stem))) {
      const start = match.index ?? 0
      marks.push([start, start + match[0].length])
    }
  }
  return marks
}
