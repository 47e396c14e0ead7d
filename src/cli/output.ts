/**
 * What the CLI prints, and the one place it is printed from: data on stdout
 * (text or `--json`), messages and progress on stderr, colour only on a
 * terminal and never with `NO_COLOR`.
 *
 * Every human-readable line is made safe here, whoever wrote it: C0 and C1
 * controls, DEL, and invisible format characters (Unicode `Cf`: bidi
 * overrides and isolates, zero-width characters, the BOM; line and paragraph
 * separators; lone surrogates) are shown escaped (`\x1b`, `\u202e`), never
 * interpreted, so a server-sent URL, id, name or error text cannot clear the
 * screen, set the clipboard (OSC 52), hide a link (OSC 8) or reorder what is
 * shown. The only escape sequences that reach the terminal are the ones this
 * module makes: the colours of {@link Styles} and the spinner line. `--json`
 * is strict JSON with those code points escaped as `\uXXXX`. The PTY stream
 * of `sandgate pty` is the user's own terminal session and passes through
 * untouched ({@link Output.passthrough}).
 *
 * Nothing else in the CLI writes to stdout or stderr (tests/cli/units_test.ts
 * checks the sources), so a new command cannot forget it.
 *
 * @module
 */
import process from "node:process";
import { Writable } from "node:stream";

/** Where the CLI writes, and what it knows about its terminal. */
export interface Io {
  /** Data: results, tables, JSON. */
  stdout: Writable & { isTTY?: boolean };
  /** Messages: progress, notes, errors. */
  stderr: Writable & { isTTY?: boolean };
  /** The environment (the SDK reads its own variables itself). */
  env: Record<string, string | undefined>;
}

/**
 * The process's streams and environment. A write that fails (the terminal
 * hung up: EIO; a closed pipe: EPIPE) is dropped instead of ending the
 * process with an uncaught error, so cleanup after SIGHUP still runs.
 */
export function processIo(): Io {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") === 0) stream.on("error", () => {});
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Resolves once what was written to the process's stdout and stderr has been handed on. */
export function flushProcessOutput(): Promise<void> {
  const flushed = (stream: Writable) =>
    new Promise<void>((resolve) => stream.write("", () => resolve()));
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => {});
}

/**
 * What is shown escaped: C0 controls, DEL, C1 controls, format characters
 * (`Cf`), line and paragraph separators, and lone surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same in JSON text, but its own line breaks (lone surrogates `JSON.stringify` escapes). */
const UNSAFE_IN_JSON = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/**
 * `text` with every control, format and separator character shown as an
 * escape: `\x1b`, `\x9b`, `\u202e`, `\u{e0001}`. Printable text (any script,
 * emoji) is kept; the result contains nothing a terminal interprets.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./output.ts";
 * console.log(escapeControls("a\x1b]52;c;ZWNobw==\x07b\u202e")); // a\x1b]52;c;ZWNobw==\x07b\u202e
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.codePointAt(0)!;
    if (code <= 0xff) return `\\x${hex(code, 2)}`;
    return code <= 0xffff ? `\\u${hex(code, 4)}` : `\\u{${hex(code, 1)}}`;
  });
}

/**
 * `value` as pretty, strict JSON in which no control or format character
 * appears raw: C0 as JSON escapes it, and DEL, C1, `Cf` (bidi and
 * zero-width), U+2028 / U+2029 as `\uXXXX` (astral ones as their surrogate
 * pair), which any JSON parser reads back as the same string.
 */
export function safeJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return text.replace(
    UNSAFE_IN_JSON,
    (char) =>
      [...Array(char.length).keys()].map((i) => `\\u${hex(char.charCodeAt(i), 4)}`).join(""),
  );
}

/** A styled run of text: its SGR open and close codes. */
interface Segment {
  text: string;
  sgr?: readonly [number, number];
}

/**
 * Text with styles, built by {@link Styles} and {@link rich}. Its text is
 * escaped when written like any other; as a plain string (`${x}`) it is the
 * escaped text without colour.
 */
export class Rich {
  readonly segments: readonly Segment[];
  constructor(segments: readonly Segment[]) {
    this.segments = segments;
  }
  /** Escaped, without colour. */
  toString(): string {
    return render(this, false);
  }
}

/** What the output methods take: plain text (escaped when written) or {@link Rich} text. */
export type Text = string | Rich;

/** Joins strings and {@link Rich} values: `` rich`listening on ${bold(url)}` ``. */
export function rich(strings: TemplateStringsArray, ...values: Text[]): Rich {
  const segments: Segment[] = [];
  const add = (value: Text) => {
    if (typeof value === "string") {
      if (value !== "") segments.push({ text: value });
    } else segments.push(...value.segments);
  };
  strings.forEach((literal, i) => {
    add(literal);
    if (i < values.length) add(values[i]!);
  });
  return new Rich(segments);
}

/** `text` escaped, with colour codes around styled runs when `color` is on. */
export function render(text: Text, color: boolean): string {
  if (typeof text === "string") return escapeControls(text);
  return text.segments.map(({ text, sgr }) =>
    color && sgr ? `\x1b[${sgr[0]}m${escapeControls(text)}\x1b[${sgr[1]}m` : escapeControls(text)
  ).join("");
}

/** ANSI styles that turn into plain text where colour is off. */
export interface Styles {
  bold(text: Text): Rich;
  dim(text: Text): Rich;
  green(text: Text): Rich;
  red(text: Text): Rich;
  yellow(text: Text): Rich;
}

/** Colour on a terminal unless `NO_COLOR` is set (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: Io["env"]): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** The styles (whether they show is decided when written, per stream). */
export function styles(): Styles {
  const wrap = (open: number, close: number) => (text: Text): Rich =>
    new Rich(
      (typeof text === "string" ? [{ text }] : text.segments).map((s) => ({
        text: s.text,
        sgr: s.sgr ?? [open, close],
      })),
    );
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
  };
}

/** Printing bound to one {@link Io}: the only writer of the CLI's stdout and stderr. */
export class Output {
  readonly #io: Io;
  readonly #colorOut: boolean;
  readonly #colorErr: boolean;
  /** Styles for stdout. */
  readonly out: Styles = styles();
  /** Styles for stderr. */
  readonly err: Styles = this.out;
  readonly #progress: Progress;

  constructor(io: Io) {
    this.#io = io;
    this.#colorOut = useColor(io.stdout, io.env);
    this.#colorErr = useColor(io.stderr, io.env);
    this.#progress = new Progress(io.stderr);
  }

  /** One line of data on stdout (a line break in it is shown as `\x0a`). */
  line(text: Text = ""): void {
    this.#progress.pause();
    this.#io.stdout.write(`${render(text, this.#colorOut)}\n`);
  }

  /** Lines of text on stdout, e.g. a help text: each line escaped like {@link line}. */
  lines(text: string): void {
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const line of lines) this.line(line);
  }

  /** A table on stdout: a bold header, columns padded to fit (the last one left as is). */
  table(header: string[], rows: string[][]): void {
    const safe = rows.map((row) => row.map(escapeControls));
    const widths = header.map((h, i) => Math.max(h.length, ...safe.map((r) => r[i]?.length ?? 0)));
    const format = (cells: string[]) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
    this.line(this.out.bold(format(header)));
    for (const row of safe) this.line(format(row));
  }

  /** A value as pretty, strict JSON on stdout (see {@link safeJson}). */
  json(value: unknown): void {
    this.#progress.pause();
    this.#io.stdout.write(`${safeJson(value)}\n`);
  }

  /** One line of information on stderr. */
  note(text: Text): void {
    this.#progress.pause();
    this.#io.stderr.write(`${render(text, this.#colorErr)}\n`);
  }

  /**
   * One line on stderr in the middle of a terminal session, which may be in raw mode (no
   * carriage return at a line feed): it starts on a fresh line and ends at the left edge.
   */
  interjection(text: Text): void {
    this.#progress.pause();
    this.#io.stderr.write(`\r\n${render(text, this.#colorErr)}\r\n`);
  }

  /**
   * Bytes of the remote terminal session (`sandgate pty`) to stdout as they
   * are: the user's own terminal session is not filtered. Resolves when
   * stdout can take more.
   */
  passthrough(bytes: Uint8Array): Promise<void> {
    const stdout = this.#io.stdout;
    if (stdout.write(bytes)) return Promise.resolve();
    return new Promise<void>((resolve) => stdout.once("drain", () => resolve()));
  }

  /**
   * A stream over {@link passthrough}, for relays that pipe a connection's
   * bytes to stdout as they are (`forward --stdio`, the ssh proxy: stdout is
   * a pipe to ssh there, not a terminal), with backpressure kept.
   */
  passthroughStream(): Writable {
    return new Writable({
      write: (chunk: Uint8Array, _encoding, done) => {
        this.passthrough(chunk).then(() => done(), done);
      },
    });
  }

  /** Shows `label` with a spinner (or one line off a terminal) while `work` runs longer than 1 s. */
  during<T>(label: Text, work: Promise<T>): Promise<T> {
    return this.#progress.during(render(label, false), work);
  }

  /** Replaces the label of the wait in progress, e.g. with a rate-limit countdown. */
  status(label: Text): void {
    this.#progress.relabel(render(label, false));
  }
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Waits shorter than this show nothing. */
export const PROGRESS_AFTER_MS = 1000;

/** One spinner line on a terminal; elsewhere one plain line per label. */
class Progress {
  readonly #stream: Io["stderr"];
  #label = "";
  #active = 0;
  #shown = false;
  #printed = "";
  #frame = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #delay: ReturnType<typeof setTimeout> | undefined;

  constructor(stream: Io["stderr"]) {
    this.#stream = stream;
  }

  async during<T>(label: string, work: Promise<T>): Promise<T> {
    const previous = this.#label;
    this.#label = label;
    this.#active += 1;
    if (this.#active === 1) {
      this.#delay = setTimeout(() => this.#show(), PROGRESS_AFTER_MS);
    } else if (this.#shown) {
      this.#render();
    }
    try {
      return await work;
    } finally {
      this.#active -= 1;
      this.#label = previous;
      if (this.#active === 0) this.#stop();
    }
  }

  relabel(label: string): void {
    this.#label = label;
    if (this.#active === 0) {
      // A wait outside `during` (e.g. a rate-limit wait of a bare call): show it at once.
      this.#stream.write(`${label}\n`);
      return;
    }
    if (this.#shown) this.#render();
    else {
      clearTimeout(this.#delay);
      this.#show();
    }
  }

  /** Clears the spinner line before other output (it comes back on the next tick). */
  pause(): void {
    if (this.#shown && this.#stream.isTTY) this.#stream.write("\r\x1b[2K");
  }

  #show(): void {
    this.#shown = true;
    if (this.#stream.isTTY) {
      this.#render();
      this.#timer = setInterval(() => this.#render(), 80);
    } else {
      this.#render();
    }
  }

  #render(): void {
    if (this.#stream.isTTY) {
      this.#frame = (this.#frame + 1) % FRAMES.length;
      this.#stream.write(`\r\x1b[2K${FRAMES[this.#frame]} ${this.#label}`);
    } else if (this.#printed !== this.#label) {
      this.#printed = this.#label;
      this.#stream.write(`${this.#label}…\n`);
    }
  }

  #stop(): void {
    clearTimeout(this.#delay);
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#shown && this.#stream.isTTY) this.#stream.write("\r\x1b[2K");
    this.#shown = false;
    this.#printed = "";
  }
}
