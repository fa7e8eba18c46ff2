// The `priority` field (RFC 9218 §4, §5) parsed as a Structured Fields Dictionary (RFC 8941 §4.2.2).
import { describe, expect, it } from 'vitest'
import { formatPriorityField, parsePriorityField } from '../src/index.js'

describe('priority field (RFC 9218 §4)', () => {
  it.each([
    ['u=0', { urgency: 0 }],
    ['u=7, i', { urgency: 7, incremental: true }],
    ['i', { incremental: true }],
    ['i=?0', { incremental: false }],
    ['i=?1,u=2', { urgency: 2, incremental: true }],
    ['', {}],
    ['   u=1', { urgency: 1 }],
    ['u=1;x=2, i;y', { urgency: 1, incremental: true }], // parameters are ignored (§4.3)
    ['foo=bar, u=4, x="a\\"b", y=:AAE=:, z=(1 2);q, w=-1.5', { urgency: 4 }], // unknown members ignored
    ['u=1, u=5', { urgency: 5 }], // the last one wins (RFC 8941 §4.2.2)
    ['u=8', {}], // out of range: ignored (§4.1)
    ['u=-1', {}],
    ['u=1.0', {}], // a Decimal is not an Integer
    ['u="1"', {}],
    ['i=1', {}], // not a Boolean (§4.2)
    ['u=2,\ti', { urgency: 2, incremental: true }], // OWS after a comma
  ])('%j → %j', (value, expected) => {
    expect(parsePriorityField(value)).toEqual(expected)
  })

  it.each([
    'u=1,', // trailing comma
    'U=1', // keys are lowercase
    'u=1 i', // members are comma-separated
    'u=?2',
    'u="open',
    'u=1234567890123456', // 16 digits
    'u=(1 2',
    'x=:abc', // byte sequence not closed
    'u=1;',
    '1=u',
  ])('%j is not a dictionary: the whole field is ignored', (value) => {
    expect(parsePriorityField(value)).toBeUndefined()
  })

  it('formats only what differs from the defaults', () => {
    expect(formatPriorityField(3, false)).toBe('')
    expect(formatPriorityField(0, true)).toBe('u=0, i')
    expect(parsePriorityField(formatPriorityField(6, true))).toEqual({ urgency: 6, incremental: true })
  })
})
