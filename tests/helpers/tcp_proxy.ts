/**
 * A TCP proxy on 127.0.0.1 that a test can break: `cut()` resets every connection through it,
 * `down()` refuses new ones until `up()`, `freeze()` keeps the current connections open but
 * stops carrying their bytes (a half-open connection: nothing is reported to either side).
 * Node APIs only, so it runs under Deno, Node and Bun alike.
 *
 * @module
 */
import { connect, createServer, type Socket } from "node:net";
import { listenOnLoopback } from "./loopback.ts";

/** A running proxy to `127.0.0.1:targetPort`. */
export interface TcpProxy extends AsyncDisposable {
  /** The port to connect to instead of the target's. */
  port: number;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Accepted connections that carried at least one byte from the client. (A runtime may open a
   * connection it then never uses: Deno's HTTP client finishes connecting for its pool after the
   * request that wanted it was aborted.)
   */
  readonly used: number;
  /** Resets every open connection (both sides see it at once). */
  cut(): void;
  /** New connections are reset at once until {@link TcpProxy.up}. */
  down(): void;
  /** Accepts and carries new connections again. */
  up(): void;
  /** The open connections stop carrying bytes, silently; new ones are not affected. */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const frozen = new Set<[Socket, Socket]>();
  let refusing = false;
  let accepted = 0;
  let used = 0;
  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    client.once("data", () => used++);
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // Bytes are carried by hand, not piped: a frozen pair reads and drops them (on every
    // runtime; unpipe and pause differ between them), so neither side learns anything.
    const carry = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Uint8Array) => {
        if (frozen.has(pair)) return;
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      from.on("end", () => {
        if (!frozen.has(pair)) to.end();
      });
    };
    carry(client, upstream);
    carry(upstream, client);
    const drop = () => {
      pairs.delete(pair);
      frozen.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  const port = await listenOnLoopback(server);
  const close = async () => {
    for (const [a, b] of [...pairs, ...frozen]) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get used() {
      return used;
    },
    cut() {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    down: () => void (refusing = true),
    up: () => void (refusing = false),
    freeze() {
      for (const pair of pairs) frozen.add(pair);
      pairs.clear();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
