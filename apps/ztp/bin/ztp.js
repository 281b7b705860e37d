#!/usr/bin/env node
// Launches the TypeScript CLI through @swc-node, resolving @ztp/* paths from the repository tsconfig.
// npm links it into node_modules/.bin (this folder is an npm workspace), so `npx ztp` works after install.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
process.env.SWC_NODE_PROJECT ??= join(root, 'tsconfig.json');
await import('@swc-node/register/esm-register');
await import(pathToFileURL(join(root, 'apps/ztp/src/main.ts')).href);
