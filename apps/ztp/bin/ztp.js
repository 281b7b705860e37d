#!/usr/bin/env node
// Launches the TypeScript CLI through @swc-node, resolving @ztp/* paths from the repository tsconfig.
// npm links it into node_modules/.bin (this folder is an npm workspace), so `npx ztp` works after install.
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
process.env.SWC_NODE_PROJECT ??= join(root, 'tsconfig.json');
// Registered relative to this file: @swc-node's esm-register resolves from the working directory,
// so the CLI failed with ERR_MODULE_NOT_FOUND when run from anywhere but the repository root.
register('@swc-node/register/esm', import.meta.url);
await import(pathToFileURL(join(root, 'apps/ztp/src/main.ts')).href);
