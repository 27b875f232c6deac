/**
 * The isolate's memory of access tokens whose signature it has verified (RFC 9068 JWTs are immutable, so a token
 * string whose signature checked out once under a key checks out again under that same key). Resource servers
 * introspect the same token again and again; this turns the repeat's ECDSA/EdDSA verification and claims decoding
 * into a Map lookup. domain/access-token.ts still checks, on every call, that the key is published and is the same
 * key object, and every time-dependent and shape rule of the claims; introspection still reads the denylist.
 *
 * Bounded: the oldest entry goes when full, so a flood of distinct valid tokens cannot grow the isolate's memory.
 */
import type { VerifiedSignature, VerifiedTokenCache } from './domain/access-token.js';

/** ~4,096 tokens of about 0.5 KiB plus their claims: a few MiB at most of the isolate's 128 MiB. */
const MAX_ENTRIES = 4096;

export class VerifiedTokens implements VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedSignature>();

  constructor(private readonly max = MAX_ENTRIES) {}

  get(token: string): VerifiedSignature | undefined {
    return this.entries.get(token);
  }

  set(token: string, entry: VerifiedSignature): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }
}
