/**
 * @h2ts/gateway — the h2ts-gateway binary. Not built yet (issue #7): this entry point only marks the
 * package's place in the workspace and its dependency on @h2ts/streams.
 */
export const GATEWAY_STATUS = 'not implemented yet' as const
