export { type AppDescriptor, type AppName } from './app/app-descriptor';
export { closeApp, drainBudgetMs } from './app/close-app';
export { createApp, createOpenApiDocument } from './app/create-app';
export { CONSOLE_DIST, installConsole } from './console/install-console';
export { PlatformModule } from './app/platform.module';
export { assertPortsFree, listenApp } from './app/listen';
export { runApp } from './app/run-app';
export { runWorker } from './app/run-worker';
export { createWorkerContext } from './app/worker-context';
export { startWorkerProbes, workerRegistry, type WorkerProbes } from './app/worker-probes';
export {
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  type ProblemDescription,
  type ProblemDetails,
} from './http/problem-details';
export { ProblemDetailsFilter } from './http/problem-details.filter';
export { REQUEST_ID_HEADER } from './http/request-id';
export { NestLoggerAdapter } from './logging/nest-logger.adapter';
export { createRootLogger } from './logging/root-logger';
export { HttpMetrics } from './metrics/http-metrics';
export { METRICS_REGISTRY } from './metrics/metrics.module';
export { buildOpenApiDocument, serializeOpenApiDocument } from './openapi/openapi-document';
export { migrateAll, openDatabase, type OpenDatabase } from './runtime/database';
export { runMain, StartupError, startupFailureLine } from './runtime/run-main';
export { startRuntime, type Runtime, type StartRuntimeOptions } from './runtime/runtime';
export { stopOnSignal } from './runtime/shutdown';
export { APP_CONFIG, APP_DESCRIPTOR } from './tokens';
export { PRODUCT_VERSION } from './version';
export { configureHttp, type HttpOptions } from './http/configure-http';
export { MetricsModule } from './metrics/metrics.module';
export { LoggingModule } from './logging/logging.module';
export * from './fdo';
export * from './ports';
export * from './tls';
export { isUuid, openApiSchema, parseRequest } from './http/request-validation';
