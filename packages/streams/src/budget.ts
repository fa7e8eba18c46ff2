/**
 * A token bucket: `burst` tokens to start with, refilled at `perSecond`, never above `burst`.
 *
 * Abuse limits on things an honest peer also does now and then (resetting streams, reprioritising) cannot be
 * a plain count over the connection's life, which a long-lived connection would eventually exhaust, nor a
 * count per second, which a flood could straddle. A bucket allows bursts and a steady rate, and stops a
 * flood after `burst` plus what trickled in meanwhile (the rule nghttp2 and Go adopted for Rapid Reset).
 * Time comes from the caller's clock, in milliseconds.
 */
export class RateBudget {
  #tokens: number
  #at: number

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burst
    this.#at = now()
  }

  /** Spends one token; false when none is left (the limit is crossed). */
  take(): boolean {
    const now = this.now()
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.perSecond) / 1000)
      this.#at = now
    }
    if (this.#tokens < 1) return false
    this.#tokens--
    return true
  }

  /** Tokens left (for tests and metrics). */
  get available(): number {
    return Math.floor(this.#tokens)
  }
}
