/**
 * Builds the web console (apps/console) into apps/console/dist with Vite. `--if-stale` skips the
 * build when the bundle is newer than every source file: `npm start` runs it that way, so a fresh
 * clone builds once (a few seconds) and later starts cost nothing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const root = new URL('../apps/console/', import.meta.url).pathname;
const dist = join(root, 'dist');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function stale(): boolean {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return true;
  const sources = [join(root, 'src'), join(root, 'index.html'), join(root, 'vite.config.ts')];
  return Math.max(...sources.map(newest)) > statSync(index).mtimeMs;
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);
const started = performance.now();
await build({ configFile: join(root, 'vite.config.ts'), root });
const bytes = readdirSync(join(dist, 'assets')).reduce(
  (sum, f) => sum + statSync(join(dist, 'assets', f)).size,
  0,
);
console.log(
  `console built in ${Math.round(performance.now() - started)} ms: ${(bytes / 1024).toFixed(1)} KiB of assets`,
);
