/**
 * A minimal loopback HTTP server for the per-call overhead benchmark, run in
 * a Worker so that its work does not share the client's thread. Answers
 * `POST /api/v1/sandbox/{id}/expose` with a fixed `ExposePortResponse`;
 * posts `{ port }` to the parent once listening and stops on any message.
 *
 * @module
 */
import { exposeResponse } from "./fixtures.ts";

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  await request.arrayBuffer();
  return exposeResponse(new URL(request.url).pathname);
});
const self = globalThis as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
};
self.postMessage({ port: server.addr.port });
self.onmessage = async () => {
  await server.shutdown();
  self.close();
};
