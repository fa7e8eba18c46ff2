/** What bench/run.ts hands every part, and what the parts share. */
export interface BenchOptions {
  /** A shorter run. */
  quick: boolean
  /** The smallest run that still exercises every piece (the CI smoke test). */
  smoke?: boolean
  /** Rounds per figure instead of the mode's default (the macro parts). */
  rounds?: number
  log?: (s: string) => void
}

/** The median of some figures (the upper middle one for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
