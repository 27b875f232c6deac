/**
 * The refresh-token family: one keyed-state document per family (key: familyKeyOf, ./refresh-token.ts), changed
 * only by the pure transitions below. The store applies each one atomically and linearizably on every backend
 * (shared/state/store.ts), which is what the guarantees rest on.
 *
 * The document holds the hash of the current token and, after a rotation, the just-superseded token's hash with the
 * successor sealed under it. `previous` is only ever the token immediately before `current`: a rotation replaces
 * both at once, so "the superseded token's successor is still unused" is the same as "the superseded token is
 * `previous`".
 *
 * `rotate`, for a presented token of the family (the caller parsed it and derived the key, hashes and sealed
 * successor beforehand: a transition cannot await WebCrypto):
 *
 * | family / presented token                                     | outcome        | document                    |
 * | ------------------------------------------------------------ | -------------- | --------------------------- |
 * | absent, or its idle or absolute lifetime is over             | `unknown`      | unchanged (nothing)         |
 * | revoked before                                               | `revoked`      | unchanged                   |
 * | bound to another client                                      | `wrong_client` | unchanged                   |
 * | scope asks for more than the family was granted              | `invalid_scope`| unchanged                   |
 * | audience (`resource`) outside the family's                   | `invalid_target`| unchanged                  |
 * | the current token                                            | `rotated`      | successor current, expiry   |
 * | the previous token, `now < supersededAt + retryWindowMs`     | `retried`      | unchanged (no write)        |
 * | the previous token at or after the window's end              | `reused`       | revoked                     |
 * | any other token of the family (older generations, forgeries) | `reused`       | revoked                     |
 *
 * Lifetimes: the document expires (the store's `expiresAt`, so it reads as absent from then on, on every backend) at
 * min(last rotation + idle lifetime, start + absolute lifetime). A retry does not move it. A revoked family keeps its
 * expiry, so its tokens answer `revoked` (and the handler can re-assert the denylist) until then.
 */
import { defineMachine, isRecord } from '../../../../../shared/state/machine.js';
import { scopesOutside } from '../../tokens/domain/scope.js';

export interface PreviousToken {
  /** SHA-256 of the superseded token. */
  hash: string;
  /** When it was superseded (store clock, epoch ms). */
  at: number;
  /** The successor (the current token), sealed under the superseded one (sealSuccessor). */
  sealed: string;
}

/**
 * The sign-in the family came from (RFC 9068 §2.2.1, OIDC Core §12.2): a refreshed access token reports the same
 * authentication event as the first one, so a resource server's step-up check (RFC 9470) sees it.
 */
export interface FamilyAuthentication {
  authTime: number;
  amr: string[];
  acr?: string;
}

/** What a family grants: fixed when it starts, the same in every token it issues. */
export interface FamilyTerms {
  clientId: string;
  /** The resource owner the family acts for (the user's id; the client id for first-party machine families). */
  sub: string;
  /** The scope granted at the start: the ceiling of every refresh. */
  scope: string[];
  /** The audience granted at the start. */
  aud: string[];
  /** The sign-in session the family came from, when there is one. */
  sid?: string;
  authn?: FamilyAuthentication;
}

export interface RefreshFamily extends FamilyTerms {
  createdAt: number;
  absoluteExpiresAt: number;
  idleMs: number;
  /** Rotations so far (0: the first token is current). */
  generation: number;
  /** SHA-256 of the current token. */
  current: string;
  previous?: PreviousToken;
  revoked?: { at: number; reason: string };
}

export interface StartFamily extends FamilyTerms {
  /** SHA-256 of the first token. */
  tokenHash: string;
  idleMs: number;
  absoluteMs: number;
}

export interface RotateRequest {
  /** SHA-256 of the presented token. */
  presented: string;
  /** The authenticated client (or the public client's id). */
  clientId: string;
  /** The requested scope, parsed; undefined asks for the family's whole scope. */
  scope?: string[];
  /** The requested audience (RFC 8707 `resource`); undefined asks for the family's whole audience. */
  aud?: string[];
  /** SHA-256 of the successor the caller generated, and the successor sealed under the presented token. */
  successor: string;
  sealed: string;
  retryWindowMs: number;
}

/**
 * What a refresh is allowed to issue (the handler signs the access token from it): the family's terms, with the
 * access token's scope and audience narrowed as requested.
 */
export interface FamilyGrant extends FamilyTerms {
  generation: number;
}

export type RotateOutcome =
  | { outcome: 'rotated'; grant: FamilyGrant }
  | { outcome: 'retried'; grant: FamilyGrant; sealed: string }
  | { outcome: 'reused'; clientId: string; sub: string; generation: number; late: boolean }
  | { outcome: 'revoked'; clientId: string; reason: string }
  | { outcome: 'wrong_client' }
  | { outcome: 'invalid_scope'; extra: string[] }
  | { outcome: 'invalid_target' }
  | { outcome: 'unknown' };

export type RevokeOutcome =
  | { outcome: 'revoked'; clientId: string; sub: string; already: boolean }
  | { outcome: 'wrong_client' }
  | { outcome: 'unknown' };

const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isPrevious(v: unknown): v is PreviousToken {
  return isRecord(v) && isString(v.hash) && isTime(v.at) && isString(v.sealed);
}

function isAuthentication(v: unknown): v is FamilyAuthentication {
  return isRecord(v) && isTime(v.authTime) && isStrings(v.amr) && (v.acr === undefined || isString(v.acr));
}

function isFamily(d: unknown): d is RefreshFamily {
  return (
    isRecord(d) &&
    isString(d.clientId) &&
    isString(d.sub) &&
    isStrings(d.scope) &&
    isStrings(d.aud) &&
    (d.sid === undefined || isString(d.sid)) &&
    (d.authn === undefined || isAuthentication(d.authn)) &&
    isTime(d.createdAt) &&
    isTime(d.absoluteExpiresAt) &&
    isTime(d.idleMs) &&
    isTime(d.generation) &&
    isString(d.current) &&
    (d.previous === undefined || isPrevious(d.previous)) &&
    (d.revoked === undefined || (isRecord(d.revoked) && isTime(d.revoked.at) && isString(d.revoked.reason)))
  );
}

const expiryOf = (family: RefreshFamily, lastUse: number) =>
  Math.min(lastUse + family.idleMs, family.absoluteExpiresAt);

function grantOf(family: RefreshFamily, scope: string[], aud: string[], generation: number): FamilyGrant {
  const grant: FamilyGrant = { clientId: family.clientId, sub: family.sub, scope, aud, generation };
  if (family.sid !== undefined) grant.sid = family.sid;
  if (family.authn !== undefined) grant.authn = family.authn;
  return grant;
}

/** The family revoked for `reason`; the sealed successor is dropped (nobody may open it any more). */
function revokedFamily(family: RefreshFamily, reason: string, now: number): RefreshFamily {
  const { previous: _dropped, ...rest } = family;
  return { ...rest, revoked: { at: now, reason } };
}

export const refreshFamilies = defineMachine({
  name: 'refresh-family',
  validate: isFamily,
  transitions: {
    /** Starts a family with its first token. False (and no change) if the key is taken: never overwrite a family. */
    start: (doc, args: StartFamily, now) => {
      if (doc) return { doc, result: false };
      const family: RefreshFamily = {
        clientId: args.clientId,
        sub: args.sub,
        scope: [...args.scope],
        aud: [...args.aud],
        createdAt: now,
        absoluteExpiresAt: now + args.absoluteMs,
        idleMs: args.idleMs,
        generation: 0,
        current: args.tokenHash,
      };
      if (args.sid !== undefined) family.sid = args.sid;
      if (args.authn !== undefined) family.authn = { ...args.authn, amr: [...args.authn.amr] };
      return { doc: family, result: true, expiresAt: expiryOf(family, now) };
    },

    rotate: (doc, req: RotateRequest, now): { doc: RefreshFamily | undefined; result: RotateOutcome } => {
      if (!doc) return { doc, result: { outcome: 'unknown' } };
      if (doc.revoked)
        return { doc, result: { outcome: 'revoked', clientId: doc.clientId, reason: doc.revoked.reason } };
      // Before any token comparison: another client can neither use nor burn this family.
      if (doc.clientId !== req.clientId) return { doc, result: { outcome: 'wrong_client' } };

      const isCurrent = req.presented === doc.current;
      const isPrevious = doc.previous !== undefined && req.presented === doc.previous.hash;
      if (!isCurrent && !(isPrevious && now < (doc.previous as PreviousToken).at + req.retryWindowMs)) {
        // A superseded token after the window, or an older one: someone else holds (or held) a token of the family.
        const late = isPrevious;
        return {
          doc: revokedFamily(doc, 'reuse', now),
          result: { outcome: 'reused', clientId: doc.clientId, sub: doc.sub, generation: doc.generation, late },
        };
      }

      let scope = doc.scope;
      if (req.scope !== undefined) {
        const extra = scopesOutside(req.scope, doc.scope);
        if (extra.length > 0) return { doc, result: { outcome: 'invalid_scope', extra } };
        scope = req.scope;
      }
      let aud = doc.aud;
      if (req.aud !== undefined) {
        if (scopesOutside(req.aud, doc.aud).length > 0) return { doc, result: { outcome: 'invalid_target' } };
        aud = req.aud;
      }

      if (isPrevious) {
        // An honest retry: the successor is still unused (it is `current`), so the same successor again.
        const previous = doc.previous as PreviousToken;
        return {
          doc,
          result: { outcome: 'retried', grant: grantOf(doc, scope, aud, doc.generation), sealed: previous.sealed },
        };
      }
      const next: RefreshFamily = {
        ...doc,
        generation: doc.generation + 1,
        current: req.successor,
        previous: { hash: req.presented, at: now, sealed: req.sealed },
      };
      return {
        doc: next,
        result: { outcome: 'rotated', grant: grantOf(next, scope, aud, next.generation) },
        expiresAt: expiryOf(next, now),
      } as { doc: RefreshFamily; result: RotateOutcome };
    },

    /**
     * Ends the family (RFC 7009 revocation, sign-out): any token of it, presented by its client. `clientId`
     * undefined is the server's own decision (no ownership check).
     */
    revoke: (
      doc,
      args: { clientId?: string; reason: string },
      now,
    ): { doc: RefreshFamily | undefined; result: RevokeOutcome } => {
      if (!doc) return { doc, result: { outcome: 'unknown' } };
      if (args.clientId !== undefined && args.clientId !== doc.clientId)
        return { doc, result: { outcome: 'wrong_client' } };
      if (doc.revoked)
        return { doc, result: { outcome: 'revoked', clientId: doc.clientId, sub: doc.sub, already: true } };
      return {
        doc: revokedFamily(doc, args.reason, now),
        result: { outcome: 'revoked', clientId: doc.clientId, sub: doc.sub, already: false },
      };
    },

    /** The document as stored (operators and tests); never written. */
    inspect: (doc) => ({ doc, result: doc ?? null }),
  },
});
