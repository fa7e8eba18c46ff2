/** What bench/run.ts hands every part. */
export interface BenchOptions {
  /** A shorter run. */
  quick: boolean
  /** The smallest run that still exercises every piece (the CI smoke test). */
  smoke?: boolean
  /** Rounds per figure instead of the mode's default (the macro parts). */
  rounds?: number
  log?: (s: string) => void
}
