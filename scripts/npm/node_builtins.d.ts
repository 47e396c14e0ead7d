// The runtime-specific modules (.oxlintrc.json overrides) import Node modules lazily and type them
// with local interfaces; the library is checked without @types/node.
declare module "node:*";
