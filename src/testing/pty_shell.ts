/**
 * What runs inside an emulated PTY: a tiny deterministic shell, and the
 * fan-out of its output to every attached WebSocket, framed as Tensorlake
 * documents (https://docs.tensorlake.ai/api-reference/v2/pty/websocket):
 * output `0x00`+bytes, exit `0x03`+i32 BE then close reason `exit:<code>`,
 * kill → close 1001 `session terminated`; a client that has not sent READY
 * (`0x02`) gets its output buffered up to 1 MB, then is disconnected.
 *
 * The shell, with terminal echo of every typed byte (`\r` / `\n` end a line):
 * - `echo WORDS` prints the words;
 * - `stty size` prints `ROWS COLS` (as the real `stty`), `size` prints `COLSxROWS`;
 * - `exit [N]` ends the session with code N (default: the last command's status);
 * - Ctrl-D (EOT, `0x04`) on an empty line ends it like `exit` (as a POSIX shell
 *   does at the end of its input); elsewhere in a line it is ignored;
 * - `flood N` prints N bytes of `x` (benchmarks), pacing itself on slow sockets;
 * - anything else prints `sh: CMD: command not found` (status 127), Ctrl-C drops the line
 *   (status 130); each command ends with the prompt `$ `.
 *
 * Assumptions (not documented upstream): the close code when the 1 MB
 * pre-READY buffer overflows (1008 here), that output produced while nobody is
 * attached — or read by nobody, because the only client left before READY — waits
 * (the newest 1 MB) for the next client, and that attaching to an
 * exited session replays its exit frame and closes.
 *
 * @module
 */

/** The server side of one WebSocket, as the shell drives it. */
export interface PeerSocket {
  /** Sends one binary message. */
  send(message: Uint8Array): void;
  /** Closes with a code and reason. */
  close(code: number, reason: string): void;
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number;
}

/** What the socket layer calls back into, for one attached client. */
export interface PeerHandlers {
  /** A binary (or text, as bytes) message arrived. */
  message(bytes: Uint8Array): void;
  /** The socket closed (either side). */
  closed(): void;
}

/** The size record the shell reads and resizes (the emulator's PTY session). */
export interface TerminalSize {
  rows: number;
  cols: number;
}

/** The pre-READY (and unattached) output budget the docs give: 1 MB. */
export const PRE_READY_LIMIT = 1024 * 1024;
const FLOOD_CHUNK = 64 * 1024;
const FLOOD_PAUSE_ABOVE = 1024 * 1024;

interface Peer {
  socket: PeerSocket;
  ready: boolean;
  pending: Uint8Array[];
  pendingBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function outputFrame(bytes: Uint8Array): Uint8Array {
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame[0] = 0x00;
  frame.set(bytes, 1);
  return frame;
}

function exitFrame(code: number): Uint8Array {
  const frame = new Uint8Array(5);
  frame[0] = 0x03;
  new DataView(frame.buffer).setInt32(1, code);
  return frame;
}

/** One emulated terminal: the shell and its attached sockets. */
export class PtyTerminal {
  readonly #size: TerminalSize;
  readonly #peers = new Set<Peer>();
  #unread: Uint8Array[] = [];
  #unreadBytes = 0;
  #line: number[] = [];
  /** The last command's exit status (`$?`). */
  #status = 0;
  #exitCode: number | undefined;
  #killed = false;
  #busy: Promise<void> = Promise.resolve();
  /** Called once when the shell exits. */
  onExit: ((code: number) => void) | undefined;

  constructor(size: TerminalSize) {
    this.#size = size;
    this.#print("$ ");
  }

  /** The exit code once the shell has exited. */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  /** Attached sockets. */
  get clients(): number {
    return this.#peers.size;
  }

  /** Attaches a socket; output waits for its READY. */
  connect(socket: PeerSocket): PeerHandlers {
    const peer: Peer = {
      socket,
      ready: false,
      pending: this.#unread,
      pendingBytes: this.#unreadBytes,
    };
    this.#unread = [];
    this.#unreadBytes = 0;
    if (this.#killed) {
      socket.close(1001, "session terminated");
      return { message() {}, closed() {} };
    }
    this.#peers.add(peer);
    return {
      message: (bytes) => this.#message(peer, bytes),
      closed: () => {
        this.#peers.delete(peer);
        // A client that leaves before READY read nothing: its output waits for the next one.
        if (!peer.ready && this.#peers.size === 0) {
          for (const chunk of peer.pending) this.#keepUnread(chunk);
          peer.pending = [];
        }
      },
    };
  }

  /** The session was killed: every socket closes with 1001 `session terminated`. */
  kill(): void {
    this.#killed = true;
    for (const peer of this.#peers) peer.socket.close(1001, "session terminated");
    this.#peers.clear();
  }

  #message(peer: Peer, bytes: Uint8Array): void {
    const op = bytes[0];
    if (op === 0x02) {
      if (peer.ready) return;
      peer.ready = true;
      for (const chunk of peer.pending) peer.socket.send(outputFrame(chunk));
      peer.pending = [];
      peer.pendingBytes = 0;
      if (this.#exitCode !== undefined) this.#closeWithExit(peer);
      return;
    }
    if (this.#exitCode !== undefined) return;
    if (op === 0x01 && bytes.byteLength >= 5) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const cols = view.getUint16(1);
      const rows = view.getUint16(3);
      if (cols >= 1 && rows >= 1) {
        this.#size.cols = cols;
        this.#size.rows = rows;
      }
      return;
    }
    if (op === 0x00) {
      // Commands run one after another (a flood paces itself), input queues behind.
      const input = bytes.slice(1);
      this.#busy = this.#busy.then(() => this.#type(input));
    }
  }

  async #type(input: Uint8Array): Promise<void> {
    for (const byte of input) {
      if (this.#exitCode !== undefined || this.#killed) return;
      if (byte === 0x0d || byte === 0x0a) {
        this.#print("\r\n");
        const line = decoder.decode(new Uint8Array(this.#line));
        this.#line = [];
        await this.#run(line.trim());
      } else if (byte === 0x7f || byte === 0x08) {
        if (this.#line.length > 0) {
          this.#line.pop();
          this.#print("\b \b");
        }
      } else if (byte === 0x03) {
        this.#line = [];
        this.#status = 130;
        this.#print("^C\r\n$ ");
      } else if (byte === 0x04) {
        if (this.#line.length > 0) continue;
        this.#print("exit\r\n");
        this.#exit(this.#status);
        return;
      } else {
        this.#line.push(byte);
        this.#echo(byte);
      }
    }
  }

  #echo(byte: number): void {
    this.#broadcast(new Uint8Array([byte]));
  }

  async #run(line: string): Promise<void> {
    const [command = "", ...args] = line.split(/\s+/).filter((w) => w.length > 0);
    const status = this.#status;
    this.#status = 0;
    if (command === "") {
      this.#status = status;
    } else if (command === "echo") {
      this.#print(`${args.join(" ")}\r\n`);
    } else if (command === "stty" && args[0] === "size") {
      this.#print(`${this.#size.rows} ${this.#size.cols}\r\n`);
    } else if (command === "size") {
      this.#print(`${this.#size.cols}x${this.#size.rows}\r\n`);
    } else if (command === "exit") {
      const code = args[0] === undefined ? status : Number(args[0]);
      this.#exit(Number.isInteger(code) ? code | 0 : 2);
      return;
    } else if (command === "flood") {
      await this.#flood(Math.max(0, Math.min(Number(args[0]) || 0, 2 ** 40)));
    } else {
      this.#print(`sh: ${command}: command not found\r\n`);
      this.#status = 127;
    }
    this.#print("$ ");
  }

  async #flood(bytes: number): Promise<void> {
    const chunk = new Uint8Array(FLOOD_CHUNK).fill(0x78);
    for (let sent = 0; sent < bytes && !this.#killed;) {
      const n = Math.min(FLOOD_CHUNK, bytes - sent);
      this.#broadcast(n === FLOOD_CHUNK ? chunk : chunk.subarray(0, n));
      sent += n;
      // Pace on the slowest ready socket, as a PTY blocks its writer; bounded by the sockets closing.
      while (
        !this.#killed &&
        [...this.#peers].some((p) => p.ready && p.socket.bufferedAmount > FLOOD_PAUSE_ABOVE)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (sent % (16 * FLOOD_CHUNK) === 0) await Promise.resolve();
    }
  }

  #print(text: string): void {
    this.#broadcast(encoder.encode(text));
  }

  #broadcast(bytes: Uint8Array): void {
    if (this.#peers.size === 0) {
      this.#keepUnread(bytes.slice());
      return;
    }
    for (const peer of this.#peers) {
      if (peer.ready) {
        peer.socket.send(outputFrame(bytes));
        continue;
      }
      peer.pending.push(bytes.slice());
      peer.pendingBytes += bytes.byteLength;
      if (peer.pendingBytes > PRE_READY_LIMIT) {
        this.#peers.delete(peer);
        peer.socket.close(1008, "output buffer full (no READY)");
      }
    }
  }

  /** Output nobody has read: like a terminal's scrollback, the newest 1 MB is kept. */
  #keepUnread(chunk: Uint8Array): void {
    this.#unread.push(chunk);
    this.#unreadBytes += chunk.byteLength;
    while (this.#unreadBytes > PRE_READY_LIMIT && this.#unread.length > 1) {
      this.#unreadBytes -= this.#unread.shift()!.byteLength;
    }
  }

  #exit(code: number): void {
    this.#exitCode = code;
    for (const peer of this.#peers) {
      if (peer.ready) this.#closeWithExit(peer);
    }
    this.onExit?.(code);
  }

  #closeWithExit(peer: Peer): void {
    peer.socket.send(exitFrame(this.#exitCode!));
    peer.socket.close(1000, `exit:${this.#exitCode}`);
    this.#peers.delete(peer);
  }
}
