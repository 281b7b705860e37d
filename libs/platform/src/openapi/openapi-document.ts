import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type AppDescriptor } from '../app/app-descriptor';
import { PRODUCT_VERSION } from '../version';

/**
 * The app's OpenAPI document, built from the controllers' metadata only (works on an app created
 * in preview mode, without a database). Keys are sorted so the committed files diff cleanly.
 */
export function buildOpenApiDocument(app: INestApplication, descriptor: AppDescriptor): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(descriptor.title)
    .setDescription(descriptor.description)
    .setVersion(PRODUCT_VERSION)
    .addTag('platform', 'Health, metrics and identity, common to every app')
    // The scheme that `@ApiBearerAuth()` on the REST routes refers to (libs/auth).
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: undefined,
        description: 'An API key (ztp_...) or an OIDC access token',
      },
      'bearer',
    )
    .build();
  return sortKeys(SwaggerModule.createDocument(app, config));
}

/** Stable JSON of a document: sorted keys, two-space indent, final newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    ) as T;
  }
  return value;
}
