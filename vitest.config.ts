import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Three tiers (see CONTRIBUTING.md):
//   unit         *.spec.ts beside the code; no database, no network
//   integration  *.int-spec.ts; a real PostgreSQL (DATABASE_URL's, else one embedded server per run) and queue
//   e2e          test/e2e/**/*.e2e-spec.ts; booted apps driven by the device simulator
//   interop      test/interop/**/*.interop-spec.ts; against go-fdo's binaries (npm run test:interop)
//   browser      test/browser/**/*.browser-spec.ts; the web console in headless Chromium (npm run test:browser)
//   faults       test/faults/**/*.faults-spec.ts; the apps as processes on a PostgreSQL and a Redis the
//                tier starts and kills itself (npm run test:faults)
//   adversarial  test/adversarial/**/*.adversarial-spec.ts; attacks on npm start (npm run test:adversarial)
const alias = {
  '@ztp/protocol/': new URL('./libs/protocol/src/', import.meta.url).pathname,
  '@ztp/protocol': new URL('./libs/protocol/src/index.ts', import.meta.url).pathname,
  '@ztp/pki': new URL('./libs/pki/src/index.ts', import.meta.url).pathname,
  '@ztp/config': new URL('./libs/config/src/index.ts', import.meta.url).pathname,
  '@ztp/persistence': new URL('./libs/persistence/src/index.ts', import.meta.url).pathname,
  '@ztp/queue': new URL('./libs/queue/src/index.ts', import.meta.url).pathname,
  '@ztp/platform': new URL('./libs/platform/src/index.ts', import.meta.url).pathname,
  '@ztp/auth': new URL('./libs/auth/src/index.ts', import.meta.url).pathname,
  '@ztp/fdo-client': new URL('./libs/fdo-client/src/index.ts', import.meta.url).pathname,
  '@ztp/device-sim': new URL('./apps/device-sim/src/index.ts', import.meta.url).pathname,
};

const embeddedTestServer = './libs/persistence/src/testing/embedded-test-server.global-setup.ts';

const shared = {
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
};

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['{apps,libs,tools}/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'integration',
          include: ['{apps,libs}/**/*.int-spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          globalSetup: [embeddedTestServer],
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: [embeddedTestServer],
        },
      },
      {
        ...shared,
        test: {
          name: 'interop',
          include: ['test/interop/**/*.interop-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // Devices in parallel against our services (go-fdo client processes).
          maxConcurrency: 8,
        },
      },
      {
        ...shared,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        ...shared,
        test: {
          name: 'adversarial',
          include: ['test/adversarial/**/*.adversarial-spec.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        ...shared,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.faults-spec.ts'],
          environment: 'node',
          testTimeout: 420_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
