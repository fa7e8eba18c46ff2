/**
 * A Prometheus histogram with one label, for observations made once per request.
 *
 * prom-client's `observe()` validates and hashes the label set on every call, which cost more than the rest
 * of a request's bookkeeping in the gateway's profile. Here each label value has its bucket counts in a
 * plain array, found through a Map by the value itself; prom-client's registry only reads them, through the
 * same `get()` its own metrics answer (text exposition, JSON, and the cluster aggregator, which sums them).
 */
import type { Metric, Registry } from 'prom-client'

interface Series {
  /** Observations per bucket (not cumulative); the last slot is past the largest bound. */
  counts: number[]
  sum: number
  count: number
}

interface ExportedValue {
  value: number
  labels: Record<string, string | number>
  metricName: string
}

export class RouteHistogram<L extends string> {
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  readonly #series = new Map<string, Series>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: L,
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // The registry's Metric type lists prom-client's own classes; anything with name, help, type and get()
    // is exported the same way.
    registry.registerMetric(this as unknown as Metric<L>)
  }

  observe(label: string, value: number): void {
    let series = this.#series.get(label)
    if (series === undefined) {
      series = { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 }
      this.#series.set(label, series)
    }
    let i = 0
    while (i < this.buckets.length && value > this.buckets[i]!) i++
    series.counts[i]!++
    series.sum += value
    series.count++
  }

  /** The exposition prom-client's registry asks for: cumulative buckets with `le`, then _sum and _count. */
  async get(): Promise<{
    name: string
    help: string
    type: 'histogram'
    aggregator: 'sum'
    values: ExportedValue[]
  }> {
    const values: ExportedValue[] = []
    for (const [label, series] of this.#series) {
      let cumulative = 0
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!
        values.push({
          value: cumulative,
          labels: { le: bound, [this.labelName]: label },
          metricName: `${this.name}_bucket`,
        })
      })
      values.push({
        value: series.count,
        labels: { le: '+Inf', [this.labelName]: label },
        metricName: `${this.name}_bucket`,
      })
      values.push({ value: series.sum, labels: { [this.labelName]: label }, metricName: `${this.name}_sum` })
      values.push({
        value: series.count,
        labels: { [this.labelName]: label },
        metricName: `${this.name}_count`,
      })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.#series.clear()
  }
}
