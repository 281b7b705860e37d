/** The validated `AppConfig` of the process. */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** The `AppDescriptor` of the app this Nest container serves. */
export const APP_DESCRIPTOR = Symbol('APP_DESCRIPTOR');
