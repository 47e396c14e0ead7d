/**
 * What the CLI prints: data on stdout (text or `--json`), messages and
 * progress on stderr, colour only on a terminal and never with `NO_COLOR`.
 *
 * @module
 */
import process from "node:process";
import type { Writable } from "node:stream";

/** Where the CLI writes, and what it knows about its terminal. */
export interface Io {
  /** Data: results, tables, JSON. */
  stdout: Writable & { isTTY?: boolean };
  /** Messages: progress, notes, errors. */
  stderr: Writable & { isTTY?: boolean };
  /** The environment (the SDK reads its own variables itself). */
  env: Record<string, string | undefined>;
}

/** The process's streams and environment. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** ANSI styles that turn into plain text where colour is off. */
export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

/** Colour on a terminal unless `NO_COLOR` is set (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: Io["env"]): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** Styles for a stream. */
export function styles(color: boolean): Styles {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
  };
}

/** Printing helpers bound to one {@link Io}. */
export class Output {
  readonly io: Io;
  /** Styles for stdout. */
  readonly out: Styles;
  /** Styles for stderr. */
  readonly err: Styles;
  readonly #progress: Progress;

  constructor(io: Io) {
    this.io = io;
    this.out = styles(useColor(io.stdout, io.env));
    this.err = styles(useColor(io.stderr, io.env));
    this.#progress = new Progress(io.stderr);
  }

  /** One line of data on stdout. */
  line(text = ""): void {
    this.#progress.pause();
    this.io.stdout.write(`${text}\n`);
  }

  /** A table on stdout: a bold header, columns padded to fit (the last one left as is). */
  table(header: string[], rows: string[][]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const format = (cells: string[]) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
    this.line(this.out.bold(format(header)));
    for (const row of rows) this.line(format(row));
  }

  /** A value as pretty JSON on stdout. */
  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** One line of information on stderr. */
  note(text: string): void {
    this.#progress.pause();
    this.io.stderr.write(`${text}\n`);
  }

  /** Shows `label` with a spinner (or one line off a terminal) while `work` runs longer than 1 s. */
  during<T>(label: string, work: Promise<T>): Promise<T> {
    return this.#progress.during(label, work);
  }

  /** Replaces the label of the wait in progress, e.g. with a rate-limit countdown. */
  status(label: string): void {
    this.#progress.relabel(label);
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
