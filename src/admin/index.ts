// The admin HTTP API. The CLI imports only the types of api.ts, never this.
export { AdminServer, type AdminServerOptions } from './server.ts';
export type { ReadinessCheck } from './routes/health.ts';
