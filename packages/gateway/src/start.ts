/** Starts a gateway from a validated configuration: the proxy, its upstream pools and its listeners. */
import type { GatewayConfig } from './config.js'
import { type Listening, startListeners } from './listeners.js'
import { Gateway, type StreamRecord } from './proxy.js'

export interface RunningGateway {
  readonly gateway: Gateway
  readonly listening: Listening
  /** `http://HOST:PORT` of the cleartext listener and `https://…` of the TLS one, when configured. */
  readonly urls: { cleartext?: string; tls?: string }
  /** Graceful stop: listeners closed, GOAWAY to clients, upstream pools closed once clients are gone. */
  close(): Promise<void>
}

export interface StartOptions {
  /** Called with each finished stream (the access log); default: nothing. */
  onStream?: (record: StreamRecord) => void
}

export async function startGateway(
  config: GatewayConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const gateway = new Gateway(config)
  if (options.onStream !== undefined) gateway.on('stream', options.onStream)
  const listening = await startListeners(gateway, config)
  const urls: { cleartext?: string; tls?: string } = {}
  const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'))
  if (listening.ports.cleartext !== undefined && config.listen !== undefined) {
    urls.cleartext = `http://${hostOf(config.listen)}:${listening.ports.cleartext}`
  }
  if (listening.ports.tls !== undefined && config.tls !== undefined) {
    urls.tls = `https://${hostOf(config.tls.listen)}:${listening.ports.tls}`
  }
  return {
    gateway,
    listening,
    urls,
    async close() {
      await listening.close()
      gateway.close()
    },
  }
}
