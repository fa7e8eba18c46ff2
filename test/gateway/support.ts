/**
 * A gateway and its upstream, started in-process on loopback ports from the OS, for the gateway tests.
 */
import {
  type GatewayConfigInput,
  type MockUpstream,
  type MockUpstreamOptions,
  parseConfig,
  type RunningGateway,
  type StreamRecord,
  startGateway,
  startMockUpstream,
} from '@h2ts/gateway'

export interface Harness {
  mock: MockUpstream
  gateway: RunningGateway
  /** Access-log records, in the order streams finished. */
  records: StreamRecord[]
  /** Resolves with the next record that matches. */
  nextRecord(match?: (r: StreamRecord) => boolean): Promise<StreamRecord>
  close(): Promise<void>
}

/** Starts a record collector on a running gateway. */
export function collectRecords(gateway: RunningGateway): Pick<Harness, 'records' | 'nextRecord'> {
  const records: StreamRecord[] = []
  const waiting: Array<{ match: (r: StreamRecord) => boolean; resolve: (r: StreamRecord) => void }> = []
  let seen = 0
  gateway.gateway.on('stream', (record: StreamRecord) => {
    records.push(record)
    for (let i = 0; i < waiting.length; i++) {
      if (waiting[i]!.match(record)) {
        waiting.splice(i, 1)[0]!.resolve(record)
        break
      }
    }
  })
  return {
    records,
    nextRecord(match = () => true) {
      // Records already logged and not yet handed out count first.
      for (; seen < records.length; seen++) {
        const record = records[seen]!
        if (match(record)) {
          seen++
          return Promise.resolve(record)
        }
      }
      return new Promise((resolve) => {
        waiting.push({
          match,
          resolve: (r) => {
            seen = records.length
            resolve(r)
          },
        })
      })
    },
  }
}

/** The mock OpenAI upstream with a gateway in front (cleartext + self-signed TLS), `/v1/` routed to it. */
export async function startHarness(
  options: { mock?: MockUpstreamOptions; config?: Partial<GatewayConfigInput>; upstream?: object } = {},
): Promise<Harness> {
  const mock = await startMockUpstream({ tokenInterval: 5, ...options.mock })
  const gateway = await startGateway(
    parseConfig({
      listen: '127.0.0.1:0',
      tls: { listen: '127.0.0.1:0', selfSigned: true },
      upstreams: { mock: { url: mock.url, ...options.upstream } },
      routes: [{ prefix: '/v1/', upstream: 'mock' }],
      ...options.config,
    }),
  )
  const { records, nextRecord } = collectRecords(gateway)
  return {
    mock,
    gateway,
    records,
    nextRecord,
    async close() {
      await gateway.close()
      await mock.close()
    },
  }
}

/** Reads a server-sent-events body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length))
}
