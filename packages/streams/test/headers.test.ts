// The number parsing of header validation, against the grammar it implements: content-length is
// 1*DIGIT (RFC 9110 §8.6; at most 15 digits here), :status three digits not starting with 0 (RFC 9110 §15).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { validateResponse } from '../src/headers.js'

const text = (chars: string, maxLength: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(''))

function outcome(status: string, contentLength?: string) {
  const fields: Array<[string, string]> = [[':status', status]]
  if (contentLength !== undefined) fields.push(['content-length', contentLength])
  try {
    // Characters unchecked (scan false): only the number rules decide.
    return validateResponse(1, fields, false)
  } catch (error) {
    return (error as { reason: string }).reason
  }
}

describe('header number parsing', () => {
  it('content-length: accepted exactly when it is 1 to 15 digits, with that value', () => {
    fc.assert(
      fc.property(text('0123456789 +-.xe', 17), (value) => {
        const result = outcome('200', value)
        if (/^[0-9]{1,15}$/.test(value)) expect(result).toEqual({ status: 200, contentLength: Number(value) })
        else expect(result).toBe('invalid-content-length')
      }),
    )
  })

  it(':status: accepted exactly when it is three digits not starting with 0 (and not 101)', () => {
    fc.assert(
      fc.property(text('0123456789 a', 4), (value) => {
        const result = outcome(value)
        if (!/^[1-9][0-9][0-9]$/.test(value)) expect(result).toBe('invalid-status')
        else if (value === '101') expect(result).toBe('status-101')
        else expect(result).toEqual({ status: Number(value), contentLength: undefined })
      }),
      { numRuns: 2000 },
    )
  })
})
