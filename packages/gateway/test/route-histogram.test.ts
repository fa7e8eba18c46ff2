import fc from 'fast-check'
import { AggregatorRegistry, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RouteHistogram } from '../src/route-histogram.js'

const BUCKETS = [0.001, 0.01, 0.1, 1, 10]

/** The same observations in prom-client's Histogram and in ours, each in a registry of its own. */
function both(observations: ReadonlyArray<readonly [string, number]>) {
  const theirs = new Registry()
  const reference = new Histogram({
    name: 'x_seconds',
    help: 'help text',
    labelNames: ['route'],
    buckets: BUCKETS,
    registers: [theirs],
  })
  const ours = new Registry()
  const histogram = new RouteHistogram('x_seconds', 'help text', 'route', BUCKETS, ours)
  for (const [route, value] of observations) {
    reference.observe({ route }, value)
    histogram.observe(route, value)
  }
  return { theirs, ours, histogram }
}

const observations = fc.array(
  fc.tuple(fc.constantFrom('/', '/v1/', '/v1/chat/'), fc.double({ min: 0, max: 100, noNaN: true })),
  { maxLength: 50 },
)

describe('RouteHistogram', () => {
  it('exports exactly what prom-client’s Histogram exports for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(observations, async (obs) => {
        const { theirs, ours } = both(obs)
        expect(await ours.metrics()).toBe(await theirs.metrics())
      }),
      { numRuns: 100 },
    )
  })

  it('puts a value equal to a bound in that bound’s bucket, as Prometheus does (le = less or equal)', async () => {
    const { ours } = both([['/', 0.01]])
    const text = await ours.metrics()
    expect(text).toContain('x_seconds_bucket{le="0.001",route="/"} 0')
    expect(text).toContain('x_seconds_bucket{le="0.01",route="/"} 1')
  })

  it('sums across cluster workers like prom-client’s own metrics', async () => {
    const a = both([
      ['/', 0.5],
      ['/v1/', 5],
    ])
    const b = both([['/', 0.05]])
    const merged = AggregatorRegistry.aggregate([
      await a.ours.getMetricsAsJSON(),
      await b.ours.getMetricsAsJSON(),
    ])
    const reference = AggregatorRegistry.aggregate([
      await a.theirs.getMetricsAsJSON(),
      await b.theirs.getMetricsAsJSON(),
    ])
    expect(await merged.metrics()).toBe(await reference.metrics())
  })

  it('forgets its series on reset', async () => {
    const { ours } = both([['/', 1]])
    ours.resetMetrics()
    expect(await ours.metrics()).not.toContain('route="/"')
  })
})
