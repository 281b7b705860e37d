import { type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { FdoEndpoint, installFdoEndpoint } from '../fdo/fdo-endpoint';
import { FDO_MESSAGE_HANDLERS, type FdoMessageHandlers } from '../fdo/fdo-message-handler';
import { installConsole } from '../console/install-console';
import { configureHttp } from '../http/configure-http';
import { trackResponses } from '../http/http-drain';
import { HttpMetrics } from '../metrics/http-metrics';
import { buildOpenApiDocument } from '../openapi/openapi-document';
import { type Runtime } from '../runtime/runtime';
import { type AppDescriptor } from './app-descriptor';
import { PlatformModule } from './platform.module';

/**
 * One app, initialised and ready to `listen`, with the shared HTTP pipeline (configureHttp), its
 * OpenAPI document at /docs and /docs-json, and, when the app serves FDO messages, the FDO endpoint
 * in front of it all. `app.close()` closes the HTTP server, then the app's
 * queues, then its data source.
 */
export async function createApp(
  descriptor: AppDescriptor,
  runtime: Runtime,
  logger: LoggerService,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(PlatformModule.forApp(descriptor, runtime), {
    bodyParser: false,
    logger,
    // Throw instead of process.exit(1): the launcher hosts other apps and must stop them cleanly.
    abortOnError: false,
  });
  configureHttp(app, {
    maxBodyBytes: runtime.config.http.maxBodyBytes,
    rawBodyTypes: descriptor.rawBodyTypes,
  });
  if (descriptor.servesConsole) installConsole(app);
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, descriptor), { jsonDocumentUrl: 'docs-json' });
  await app.init();
  trackResponses(app.getHttpServer());
  if (descriptor.servesFdo) {
    const handlers = app.get<symbol, FdoMessageHandlers>(FDO_MESSAGE_HANDLERS, { strict: false });
    const endpoint = new FdoEndpoint(
      handlers,
      runtime.logger.child({ app: descriptor.name }),
      app.get(HttpMetrics),
      { maxBodyBytes: runtime.config.http.maxBodyBytes },
    );
    installFdoEndpoint(app.getHttpServer(), endpoint);
  }
  return app;
}

/** The app's OpenAPI document, built without a database or queue (nothing is instantiated). */
export async function createOpenApiDocument(descriptor: AppDescriptor): Promise<OpenAPIObject> {
  const app = await NestFactory.create(PlatformModule.forApp(descriptor, undefined), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return buildOpenApiDocument(app, descriptor);
  } finally {
    await app.close();
  }
}
