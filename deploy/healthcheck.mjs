// Docker HEALTHCHECK (the slim image has no curl): exit 0 when the selected app answers
// GET /health/ready with 2xx, 1 otherwise. Readiness rather than liveness, because compose starts
// dependants once a service is healthy, and an app is only useful once its database and queue answer.
const HTTP_APPS = {
  rendezvous: { portVariable: 'RENDEZVOUS_PORT', defaultPort: 8040 },
  'voucher-service': { portVariable: 'VOUCHER_SERVICE_PORT', defaultPort: 8041 },
  'owner-onboarding': { portVariable: 'OWNER_ONBOARDING_PORT', defaultPort: 8042 },
  worker: { portVariable: 'WORKER_PORT', defaultPort: 8043 },
};
const TIMEOUT_MS = 4000;

const app = process.env.APP ?? '';
const target = HTTP_APPS[app];
if (target === undefined) {
  // The migrate and bootstrap jobs serve no HTTP: while their process runs they count as healthy.
  // docker-compose.yml disables this check for them rather than rely on it.
  console.log(`no HTTP health endpoint for APP=${app}`);
  process.exit(0);
}

const port = process.env[target.portVariable] || target.defaultPort;
try {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  console.log(`GET /health/ready on :${port}: ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.log(`GET /health/ready on :${port} failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
