/** Two engines wired back to back, for tests: bytes from one are fed to the other until both are quiet. */

import { Connection, type ConnectionEvent, type ConnectionOptions } from '../../src/index.js'
import { concat } from './frames.js'

export interface Pair {
  client: Connection
  server: Connection
  clientEvents: ConnectionEvent[]
  serverEvents: ConnectionEvent[]
  /** Moves bytes both ways until neither side has anything to send. Returns the number of rounds. */
  pump(maxRounds?: number): number
}

export function pair(
  clientOptions: Partial<ConnectionOptions> = {},
  serverOptions: Partial<ConnectionOptions> = {},
  onServerEvent?: (e: ConnectionEvent, server: Connection) => void,
  onClientEvent?: (e: ConnectionEvent, client: Connection) => void,
): Pair {
  const client = new Connection({ ...clientOptions, role: 'client' })
  const server = new Connection({ ...serverOptions, role: 'server' })
  const clientEvents: ConnectionEvent[] = []
  const serverEvents: ConnectionEvent[] = []
  const deliver = (
    to: Connection,
    bytes: Uint8Array,
    sink: ConnectionEvent[],
    hook?: (e: ConnectionEvent, c: Connection) => void,
  ) => {
    const events = [...to.receive(bytes)]
    while (events.length > 0) {
      const e = events.shift()!
      // Data views are valid until the next call: copy for the record.
      sink.push(e.type === 'dataReceived' ? { ...e, data: e.data.slice() } : e)
      hook?.(e, to)
      events.push(...to.takeEvents())
    }
  }
  return {
    client,
    server,
    clientEvents,
    serverEvents,
    pump(maxRounds = 10_000) {
      for (let round = 0; round < maxRounds; round++) {
        const c = concat(client.pullOutbound())
        const s = concat(server.pullOutbound())
        for (const e of client.takeEvents()) clientEvents.push(e)
        for (const e of server.takeEvents()) serverEvents.push(e)
        if (c.length === 0 && s.length === 0) return round
        if (c.length > 0) deliver(server, c, serverEvents, onServerEvent)
        if (s.length > 0) deliver(client, s, clientEvents, onClientEvent)
      }
      throw new Error('pump did not settle')
    },
  }
}
