import { type Type } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';

export type AppName = 'rendezvous' | 'voucher-service' | 'owner-onboarding';

/** What the platform needs to know to host an app, alone or beside the others in one process. */
export interface AppDescriptor {
  readonly name: AppName;
  /** OpenAPI title and description. */
  readonly title: string;
  readonly description: string;
  /** The app's root feature module: its controllers and their modules. */
  readonly module: Type;
  /** Port and public URL from the configuration. */
  endpoint(config: AppConfig): { readonly port: number; readonly publicUrl: string };
  /**
   * The app answers FDO messages (`POST /fdo/101/msg/{type}`): its module provides
   * FDO_MESSAGE_HANDLERS, served by the FdoEndpoint in front of the app's HTTP pipeline.
   */
  readonly servesFdo?: boolean;
  /**
   * Content types whose bodies reach handlers as raw bytes (`Buffer` in `req.body` / `@Body()`),
   * e.g. `application/cbor` for FDO messages. Size-limited by MAX_BODY_BYTES like JSON.
   */
  readonly rawBodyTypes?: readonly string[];
  /** The app serves the web console at /console (apps/console, built by `npm run console:build`). */
  readonly servesConsole?: boolean;
}
