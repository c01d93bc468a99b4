/**
 * Identity and access control (issue 3): the public face of `src/auth/`. The core imports no SQL,
 * HTTP or DIMSE; `src/index/identity-store.ts` implements its storage port. docs/ACCESS.md
 * describes roles, permissions, the policy, break-glass, maintenance and sessions.
 */
import type { AuthDependencies } from './context.js';
import { AccountService } from './account.js';
import { BreakGlassService } from './break-glass.js';
import { StudyAccessService } from './confidentiality.js';
import { MaintenanceService } from './maintenance.js';
import { PeerService, type PeerServiceOptions } from './peers.js';
import { SessionService } from './sessions.js';
import { UserService } from './users.js';

export { ROLES, isRole, type Role } from './roles.js';
export { configuredPeersOf } from './configured-peers.js';
export {
  PERMISSIONS,
  ROLE_PERMISSIONS,
  MAINTENANCE_SESSION_PERMISSIONS,
  BREAK_GLASS_PERMISSIONS,
  isPermission,
  permissionsOfRoles,
  type Permission,
} from './permissions.js';
export {
  decide,
  errorCodeOfDenial,
  permissionOfPeerService,
  studyVisibility,
  CONFIDENTIALITY_LEVELS,
  type Confidentiality,
  type Decision,
  type DenyReason,
  type Resource,
  type StudyResource,
  type StudyVisibility,
} from './policy.js';
export { PEER_SERVICES, isPeerServiceName, type PeerServiceName, type PeerSubject, type SessionStage, type Subject, type UserSubject } from './subjects.js';
export { NO_SOURCE, auditActorOf, type ActingContext, type AuthDependencies, type AuthSettings } from './context.js';
export { argon2idHasher, checkPasswordPolicy, ARGON2ID_OWASP, MAX_PASSWORD_LENGTH, type PasswordHasher } from './passwords.js';
export { hasRequiredTraining, nextStage, passwordExpired, secondFactorNeeded, type LoginBlock } from './login-rules.js';
export { hotp, totpAt, matchTotp, generateTotpSecret, otpauthUri, base32Encode, base32Decode } from './totp.js';
export { UserService, INITIAL_ADMIN_PASSWORD_FILE, viewOf, type InitialAdminResult, type NewUserInput, type UserChangeInput, type UserView } from './users.js';
export { SessionService, sha256Hex, type AuthenticatedSession, type LoginInput, type LoginSuccess } from './sessions.js';
export { AccountService, type TotpEnrolment } from './account.js';
export { PeerService, OPEN_STORAGE_SERVICES, normalizeAddress, validatePeer, type PeerInput, type PeerServiceOptions, type PeerView } from './peers.js';
export { BreakGlassService, PURPOSES_OF_USE } from './break-glass.js';
export { MaintenanceService } from './maintenance.js';
export { StudyAccessService } from './confidentiality.js';
export type * from './ports.js';

/** Every identity service over one set of dependencies (the composition root builds it once). */
export interface AuthServices {
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly account: AccountService;
  readonly peers: PeerService;
  readonly breakGlass: BreakGlassService;
  readonly maintenance: MaintenanceService;
  readonly studyAccess: StudyAccessService;
}

export function createAuthServices(deps: AuthDependencies, peerOptions: PeerServiceOptions): AuthServices {
  const sessions = new SessionService(deps);
  return {
    users: new UserService(deps),
    sessions,
    account: new AccountService(deps, sessions),
    peers: new PeerService(deps, peerOptions),
    breakGlass: new BreakGlassService(deps),
    maintenance: new MaintenanceService(deps),
    studyAccess: new StudyAccessService(deps),
  };
}
