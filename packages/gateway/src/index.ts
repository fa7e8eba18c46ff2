/**
 * @h2ts/gateway — HTTP/2 and HTTP/1.1 in front, pooled and multiplexed HTTP/2 to upstream APIs behind.
 * The `h2ts-gateway` binary is `cli.ts`; this module is the same gateway as a library (for tests and
 * embedding).
 */
export {
  ConfigError,
  configSchema,
  type GatewayConfig,
  type GatewayConfigInput,
  loadConfigFile,
  parseConfig,
  type RouteConfig,
  type UpstreamConfig,
} from './config.js'
export { type Exchange, h2Exchange, http1Exchange } from './exchange.js'
export { type Listening, startListeners, startsWithPreface } from './listeners.js'
export {
  type MockChatAnswer,
  type MockUpstream,
  type MockUpstreamOptions,
  mockChatAnswer,
  startMockUpstream,
  writeMockEvents,
} from './mock-upstream.js'
export { type Lease, PoolError, type PoolStats, UpstreamPool } from './pool.js'
export { errorBody, Gateway, type StreamRecord } from './proxy.js'
export { selfSignedCertificate } from './self-signed.js'
export { type RunningGateway, type StartOptions, startGateway } from './start.js'
