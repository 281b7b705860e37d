export { ConfigError } from './config-error';
export {
  configSchema,
  environmentVariables,
  SECRET_VARIABLES,
  type EnvironmentVariable,
} from './config.schema';
export { loadConfig, type AppConfig } from './load-config';
export type { DeepReadonly } from './deep-freeze';
