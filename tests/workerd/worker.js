// A Cloudflare Worker that uses the built npm package: bundled by
// tests/workerd/workerd.mjs with esbuild and run in miniflare (real workerd,
// no nodejs_compat flag). `sandgate:entries` is a virtual module the driver
// generates: the namespace of every entry point of the package, so that every
// module body is evaluated at global scope, where workerd forbids I/O, timers
// and random numbers.
import * as entries from "sandgate:entries";
import { createPrimeIntellectClient, NotFoundError, PrimeIntellect } from "sandgate";
import { createEmulator } from "sandgate/testing";

const SANDBOX = "sb-workerd";

export default {
  async fetch() {
    const emulator = createEmulator();
    const client = createPrimeIntellectClient({ apiKey: "workerd-key", fetch: emulator.fetch });
    const path = { sandbox_id: SANDBOX };

    const exposed = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      params: { path },
      body: { port: 8080, name: "web" },
    });
    const listed = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path } });
    const exposureId = exposed.data?.exposure_id ?? "missing";
    const removed = await client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
      params: { path: { ...path, exposure_id: exposureId } },
    });
    const after = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path } });

    // The same with the high-level API: handle, cleanup, typed errors.
    const sandbox = new PrimeIntellect({ apiKey: "workerd-key", fetch: emulator.fetch })
      .sandbox(SANDBOX);
    const exposure = await sandbox.exposePort({ port: 3000 });
    const highListed = (await sandbox.listExposures()).map((e) => e.exposureId);
    const cleanup = await exposure.unexpose();
    const gone = await sandbox.unexposePort(exposure.exposureId, { strict: true }).then(
      () => "resolved",
      (error) => error instanceof NotFoundError ? "NotFoundError" : String(error),
    );

    // No key and no process environment: the error says to pass the binding.
    const missingKey = await new PrimeIntellect({ fetch: emulator.fetch }).sandbox(SANDBOX)
      .listExposures().then(() => "resolved", (error) => `${error.name}: ${error.message}`);
    let userAgent = "";
    await new PrimeIntellect({
      apiKey: "workerd-key",
      fetch: (request) => {
        userAgent = request.headers.get("user-agent") ?? "";
        return emulator.fetch(request);
      },
    }).sandbox(SANDBOX).listExposures();

    return Response.json({
      runtime: navigator.userAgent,
      missingKey,
      userAgent,
      hasProcess: typeof globalThis.process !== "undefined",
      exportCounts: Object.fromEntries(
        Object.entries(entries).map(([name, ns]) => [name, Object.keys(ns).length]),
      ),
      exposed: { status: exposed.response.status, data: exposed.data ?? null },
      listed: listed.data?.exposures?.map((e) => e.exposure_id) ?? null,
      removed: removed.response.status,
      after: after.data?.exposures?.length ?? null,
      highLevel: {
        url: exposure.url,
        listed: highListed.length === 1 && highListed[0] === exposure.exposureId,
        alreadyGone: cleanup.alreadyGone,
        gone,
        live: emulator.live().exposures,
      },
    });
  },
};
