/**
 * Helpers the error classes share: the literal class name that survives
 * minification, and how values and server text enter a message.
 *
 * @module
 */
/**
 * Sets a class's error name on its prototype as a literal, so `error.name`
 * and stack traces keep it after minification renames the class.
 */
export function nameClass(cls: { prototype: object }, name: string): void {
  Object.defineProperty(cls.prototype, "name", {
    value: name,
    writable: true,
    configurable: true,
  });
}

/** Renders a rejected value briefly and safely for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number") {
    return Object.is(value, -0) ? "-0" : String(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || value === undefined || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

// Safety net: a server that echoes request headers must not put a token into a message.
export const BEARER = /(bearer\s+)[^\s"',;]+/gi;

/**
 * `text` on one line (whitespace runs collapsed), bearer tokens redacted,
 * cut to `max` characters with an ellipsis: how server text enters a message.
 */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(BEARER, "$1[redacted]").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
