// The config module: YAML → validated, frozen Registry; LiveRegistry for the current one;
// ConfigReloader for SIGHUP and file changes.
export { DEFAULTS } from './defaults.ts';
export { checkConfig, loadConfig, loadSeed, type LoadResult } from './load.ts';
export { formatProblem, type ConfigProblem } from './source.ts';
export {
  LiveRegistry,
  type AdminConfig, type MspNasClient, type NasClient, type NasMatch, type PasswordPolicy, type Registry,
  type RegistryListener, type SeedData, type SeedGroup, type SeedUser, type ServerConfig, type TenantConfig, type TenantSource,
} from './registry.ts';
export { ConfigReloader, type ReloaderOptions, type ReloadReport, type ReloadStatus } from './reload.ts';
