/** The 5-octet priority fields of HEADERS and PRIORITY (RFC 9113 §6.2, §6.3; semantics in RFC 7540 §5.3). */

import { MAX_STREAM_ID } from './constants.js'
import { FrameUsageError } from './errors.js'
import type { Priority } from './frame.js'
import { checkRange, readStreamId } from './header.js'

/** Reads Exclusive (1), Stream Dependency (31), Weight (8) at buf[offset]; weight comes back as 1–256. */
export function readPriority(buf: Uint8Array, offset: number): Priority {
  return {
    dependency: readStreamId(buf, offset),
    exclusive: (buf[offset]! & 0x80) !== 0,
    weight: buf[offset + 4]! + 1,
  }
}

/** Throws FrameUsageError unless the fields fit the wire. */
export function checkPriority(priority: Priority): void {
  checkRange(priority.dependency, MAX_STREAM_ID, 'priority.dependency')
  if (!(priority.weight >= 1 && priority.weight <= 256 && priority.weight % 1 === 0)) {
    throw new FrameUsageError(
      `priority.weight must be an integer in 1..256 (the wire carries weight - 1), got ${priority.weight}`,
    )
  }
}

/** Writes the 5 octets at target[offset]; returns offset + 5. */
export function writePriority(target: Uint8Array, offset: number, priority: Priority): number {
  const dep = priority.dependency
  target[offset] = ((dep >>> 24) & 0x7f) | (priority.exclusive ? 0x80 : 0)
  target[offset + 1] = dep >>> 16
  target[offset + 2] = dep >>> 8
  target[offset + 3] = dep
  target[offset + 4] = priority.weight - 1
  return offset + 5
}
