/**
 * What `PrimeIntellect`'s sandbox handles load on first use, in one module so that a bundler
 * that splits code makes it one chunk: forwarding (`forward()`, `connect()`) and the readiness
 * waits (`waitUntilReady()`). The handle checks every argument before it imports this.
 *
 * @module
 */
export { primeConnect, primeForward } from "./forward.ts";
export { waitUntilExposureReady } from "./exposure_ready.ts";
export { waitUntilSshReady } from "./ssh_ready.ts";
