/**
 * Hostile input generators for the fuzz suites (fast-check): path traversal,
 * CRLF / header injection, Unicode (astral, bidi, zero-width, lone
 * surrogates), huge strings, special numbers and prototype-pollution keys.
 *
 * @module
 */
import fc from "fast-check";

/** Fixed seed of every property in the reliability suite. */
export const SEED = 0x5a9d6a7e;

/** Runs per property (override with SANDGATE_FUZZ_RUNS in the environment). */
export const RUNS = (() => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.SANDGATE_FUZZ_RUNS;
  const n = Number(env);
  return Number.isInteger(n) && n > 0 ? n : 500;
})();

/** Settings shared by every `fc.assert` call. */
export const FC_PARAMS = { seed: SEED, numRuns: RUNS, endOnFailure: true } as const;

/** Short strings that change a URL's, a header's or a shell's meaning. */
export const NASTY_FRAGMENTS: readonly string[] = [
  "..",
  ".",
  "/",
  "\\",
  "%2e%2e",
  "%2E%2E",
  "%2f",
  "%2F",
  "%5c",
  "%00",
  "%",
  "?",
  "#",
  "&",
  "=",
  "../",
  "..\\",
  "....//",
  "\r\n",
  "\r",
  "\n",
  "\r\nX-Injected: 1",
  "\r\nAuthorization: Bearer stolen",
  "\u0000",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u2029",
  "\u200b",
  "\u202e",
  "\ufeff",
  "\ud800",
  "\udfff",
  "😀",
  "é",
  "e\u0301",
  "ǅ",
  "İ",
  "ﬀ",
  " ",
  "\t",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "{sandbox_id}",
  "{",
  "}",
  "@",
  ":",
  "http://evil.example",
  "//evil.example",
  "'",
  '"',
  "`",
  "$(",
  ";",
  "|",
  "-oProxyCommand=x",
  "sb-1",
  "abc",
  "e1",
];

/** A hostile string: generic Unicode, or a mix of nasty fragments and plain text. */
export function hostileString(): fc.Arbitrary<string> {
  const arb: fc.Arbitrary<string> = fc.oneof(
    { weight: 2, arbitrary: fc.string() },
    { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
    {
      weight: 4,
      arbitrary: fc.array(
        fc.oneof(fc.constantFrom(...NASTY_FRAGMENTS), fc.stringMatching(/^[a-z0-9-]{1,8}$/)),
        { minLength: 1, maxLength: 6 },
      ).map((parts) => parts.join("")),
    },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_FRAGMENTS) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom("a", "é", "😀", "/", "."), fc.integer({ min: 1, max: 4 }))
        .map(([c, k]) => c.repeat([50, 51, 512, 513, 70_000][k]!)),
    },
  );
  return arb;
}

/** A plausible, valid-looking id: always acceptable in a URL path. */
export function plainId(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
}

/** Numbers that break naive range checks. */
export function hostileNumber(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(
      NaN,
      Infinity,
      -Infinity,
      -0,
      0,
      0.5,
      1e-300,
      Number.MAX_SAFE_INTEGER + 2,
      Number.MIN_SAFE_INTEGER,
      Number.MAX_VALUE,
      Number.EPSILON,
      2 ** 31,
      2 ** 32 + 22,
      21,
      22,
      9000,
      9001,
      3600,
      3601,
      65535,
      65536,
      1,
      -1,
    ),
    fc.integer(),
    fc.integer({ min: -10, max: 70_000 }),
    fc.double(),
  );
}

/** An object whose own keys include prototype-pollution keys. */
export function pollutedObject(): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(
    fc.constantFrom("__proto__", "constructor", "prototype"),
    fc.oneof(fc.string(), fc.integer(), fc.constant({ polluted: true })),
  ).map(([key, value]) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`));
}

/** Anything at all a JavaScript caller could pass where a value is expected. */
export function anyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileString() },
    { weight: 3, arbitrary: hostileNumber() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        null,
        true,
        false,
        10n,
        Symbol("s"),
        [],
        {},
        () => 1,
        new Date(0),
        Object.create(null),
      ),
    },
    { weight: 1, arbitrary: pollutedObject() },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  );
}

/** An (often) absent optional value: `undefined` a quarter of the time. */
export function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined, freq: 4 });
}
