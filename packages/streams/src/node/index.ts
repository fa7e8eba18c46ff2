/**
 * @h2ts/streams/node — the engine on Node sockets: an HTTP/2 server (`createServer`) and client (`connect`).
 */
export {
  type ClientRequest,
  type ClientResponse,
  type ClientSession,
  type ConnectOptions,
  connect,
  type PushedResponse,
  type RequestError,
} from './client.js'
export {
  channels,
  type GoAwayMessage,
  type PingAcknowledgedMessage,
  type ProtocolErrorMessage,
  type SessionClosedMessage,
  type SessionCreatedMessage,
  type SessionRef,
  type StreamResetMessage,
} from './diagnostics.js'
export {
  createServer,
  type Http2Server,
  type RequestHandler,
  type ServerOptions,
  type ServerRequest,
  type ServerResponse,
  type ServerSession,
} from './server.js'
export {
  headersToObject,
  type IncomingBody,
  type IncomingHeaders,
  type OutgoingBody,
  type OutgoingHeaders,
  type SessionOptions,
  toFields,
} from './session.js'
