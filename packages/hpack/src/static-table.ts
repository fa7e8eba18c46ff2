/** The static table, RFC 7541 Appendix A. Index 1 is the first entry; index 0 is never valid. */
export const STATIC_TABLE: ReadonlyArray<readonly [name: string, value: string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
]

export const STATIC_TABLE_LENGTH = 61

/**
 * Per name: its lowest static index, and the index of each value it has in the table. Most names have only
 * the empty value there: they get no map, so a field's value is looked up only where it could be found.
 */
export interface StaticName {
  index: number
  /** Index of the entry with this name and the empty value, 0 if none. */
  empty: number
  /** Indexes by non-empty value, for the few names that have some (:method, :path, :status…). */
  values: ReadonlyMap<string, number> | undefined
}

export const STATIC_NAMES: ReadonlyMap<string, StaticName> = (() => {
  const byName = new Map<string, { index: number; empty: number; values: Map<string, number> | undefined }>()
  STATIC_TABLE.forEach(([name, value], i) => {
    let entry = byName.get(name)
    if (entry === undefined) {
      entry = { index: i + 1, empty: 0, values: undefined }
      byName.set(name, entry)
    }
    if (value === '') entry.empty ||= i + 1
    else {
      entry.values ??= new Map()
      if (!entry.values.has(value)) entry.values.set(value, i + 1)
    }
  })
  return byName
})()

/** The static index of exactly this field, or 0. */
export function staticPairIndex(known: StaticName, value: string): number {
  if (value === '') return known.empty
  return known.values?.get(value) ?? 0
}
