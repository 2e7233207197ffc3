// The seam for 802.1X: an Access-Request carrying EAP-Message goes to an EapHandler (src/eap's
// EapServer, or a test double). The front owns RADIUS (framing, Message-Authenticator, State,
// MPPE key encryption, VLANs, User-Name and Class); the handler owns EAP. The exchange and its
// outcome are declared once, by eap.
import type { EapExchange, EapOutcome } from '../eap/index.ts';

export type { EapExchange, EapOutcome };

export interface EapHandler {
  /** Rejects only on a store outage (StoreUnavailable): the request then goes unanswered. */
  handle(exchange: EapExchange): Promise<EapOutcome>;
}
