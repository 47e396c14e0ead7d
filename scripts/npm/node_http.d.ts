// src/testing/serve.ts imports node:http lazily and types it with a local interface.
declare module "node:http";
