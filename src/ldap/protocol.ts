// LDAP as tenantdir speaks it, in our own types: the requests server.ts decodes (through ldapjs)
// and the results the front answers with. Nothing here knows about sockets or ldapjs.

/** RFC 4511 §4.1.9 result codes we send. */
export const RC = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  constraintViolation: 19,
  attributeOrValueExists: 20,
  invalidAttributeSyntax: 21,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  adminLimitExceeded: 11,
  other: 80,
} as const;

export type ResultCode = (typeof RC)[keyof typeof RC];

export const OID = {
  startTls: '1.3.6.1.4.1.1466.20037',
  passwordModify: '1.3.6.1.4.1.4203.1.11.1',
  whoami: '1.3.6.1.4.1.4203.1.11.3',
  pagedResults: '1.2.840.113556.1.4.319',
  /** draft-behera-ldap-password-policy: request (no value) and response control. */
  passwordPolicy: '1.3.6.1.4.1.42.2.27.8.5.1',
  /** RFC 4511 §4.4.1: sent with a notice of disconnection. */
  noticeOfDisconnection: '1.3.6.1.4.1.1466.20036',
} as const;

/** A search filter (RFC 4511 §4.5.1.7). Attribute names are lowercased. */
export type Filter =
  | { kind: 'and'; filters: Filter[] }
  | { kind: 'or'; filters: Filter[] }
  | { kind: 'not'; filter: Filter }
  | { kind: 'eq' | 'ge' | 'le' | 'approx'; attr: string; value: string }
  | { kind: 'substr'; attr: string; initial?: string; any: string[]; final?: string }
  | { kind: 'present'; attr: string }
  | { kind: 'ext'; attr?: string; rule?: string; value: string; dnAttributes: boolean };

export interface Control {
  oid: string;
  critical: boolean;
  value?: Buffer;
}

export type Scope = 'base' | 'one' | 'sub';

export interface PagedControl {
  size: number;
  cookie: Buffer;
}

export interface SearchRequest {
  op: 'search';
  base: string;
  scope: Scope;
  sizeLimit: number;
  /** Seconds; 0 = none. */
  timeLimit: number;
  typesOnly: boolean;
  filter: Filter;
  attributes: string[];
  paged?: PagedControl;
}

export interface Modification {
  operation: 'add' | 'delete' | 'replace';
  type: string;
  values: string[];
}

export interface AttributeValues {
  type: string;
  values: string[];
}

export type Request =
  | { op: 'bind'; version: number; name: string; password: string }
  | { op: 'saslBind'; name: string }
  | { op: 'unbind' }
  | SearchRequest
  | { op: 'compare'; dn: string; attr: string; value: string }
  | { op: 'add'; dn: string; attributes: AttributeValues[] }
  | { op: 'delete'; dn: string }
  | { op: 'modify'; dn: string; changes: Modification[] }
  | { op: 'modrdn'; dn: string; newRdn: string; deleteOldRdn: boolean; newSuperior?: string }
  | { op: 'passwordModify'; userIdentity?: string; oldPassword?: string; newPassword?: string }
  | { op: 'whoami' }
  | { op: 'extended'; oid: string }
  | { op: 'abandon'; target: number }
  | { op: 'startTls' };

/** One decoded LDAPMessage, with every control it carried. */
export interface Message {
  id: number;
  request: Request;
  controls: Control[];
}

export interface Result {
  code: ResultCode;
  matchedDN?: string;
  message?: string;
  /** Response controls (the password policy response of a bind). */
  controls?: Control[];
}

/** An extended response's name and value (RFC 4511 §4.12). */
export interface ExtendedResult extends Result {
  responseName?: string;
  responseValue?: Buffer;
}

/** A search result entry: attribute names in their schema spelling, values as strings. */
export interface Entry {
  dn: string;
  attributes: [string, string[]][];
}

/** The write side of one search: entries go out as they are found. */
export interface SearchSink {
  entry(e: Entry): void;
  /**
   * Resolves with a release when it is this search's turn to fetch and send its next batch: one
   * search of the connection at a time, and only while the client takes what was sent (back-
   * pressure). A search waiting for its turn holds no entries; call the release once sent.
   */
  turn(): Promise<() => void>;
  /** Aborted by an abandon, or by the connection closing. */
  readonly signal: AbortSignal;
}

export interface SearchDone extends Result {
  /** The paged-results response cookie (empty = last page), when the request was paged. */
  pagedCookie?: Buffer;
}

/** What the transport tells the protocol logic about a connection. */
export interface ConnectionInfo {
  /** For logs: `<address>:<port>#<n>`. */
  readonly id: string;
  readonly remoteAddress: string;
  /** LDAPS, or after StartTLS. */
  readonly secure: boolean;
}

export type Reply = Result | ExtendedResult | SearchDone;

/** The protocol logic for one connection (made by the front, driven by server.ts). */
export interface Session {
  /** Answers one request; `sink` is used by searches only. Never rejects for a protocol "no". */
  handle(msg: Message, sink: SearchSink): Promise<Reply>;
  /** Bound as a user or service account (not anonymous): such connections may idle longer. */
  readonly authenticated: boolean;
  close(): void;
}

export interface SessionFactory {
  open(conn: ConnectionInfo): Session;
}
