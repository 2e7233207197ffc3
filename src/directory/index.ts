export { Directory, type DirectoryServiceOptions } from './directory.ts';
export {
  TenantDirectory, type Actor, type AppPasswordInfo, type AuthFailure, type AuthResult, type Device, type DeviceAuthResult,
  type DeviceFields, type NewAppPassword, type NewDeviceInput, type NewGroupInput, type NewUserInput, type Proof,
  type ServiceAuthResult, type Session, type SessionFilter, type UserFields,
} from './tenant-directory.ts';
export { ACTIVE_WITHIN_HOURS } from './sessions.ts';
export {
  AUTH_ACTIONS, REPORT_LIST_LIMIT, parseSince, type MspReport, type MspRow, type ReportQuery, type TenantReport,
} from './report.ts';
export { DEFAULT_CREDENTIAL_LIMITS, type CredentialLimits, type TokenRate } from './limits.ts';
export { TokenBuckets } from './throttle.ts';
export type { DoctorProblem, DoctorReport } from './doctor.ts';
export { MAX_IMPORT_BATCH, type ImportBatch, type ImportGroup, type ImportRowError, type ImportSummary, type ImportUser } from './import.ts';
export type { Group, User } from './views.ts';
export { hashPassword, ntHash } from './passwords.ts';
// The query and paging shapes the fronts pass through: fronts see the directory, never the store.
export type { AuditEvent, GroupQuery, Page, PageResult, UserQuery } from '../store/index.ts';
