/**
 * What a Tensorlake client loads on first use, in one module so that a bundler that splits code
 * makes it one chunk: the WebSocket opener, the PTY attach (with re-attach) and forwarding over
 * the TCP tunnel. The sandbox handle checks every argument before it imports this.
 *
 * @module
 */
export { openWebSocket } from "../websocket/open.ts";
export { connectPty, connectReconnectingPty, diagnoseHandshake } from "./attach.ts";
export { tensorlakeConnect, tensorlakeForward } from "./forward.ts";
