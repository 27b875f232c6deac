/**
 * Each user's index of their refresh-token families (key: the families' `sub`), so that an operator can end them
 * all at once: the family's key, its client and its absolute end. The families themselves stay the only authority
 * (refresh-family.ts); an entry past its end drops out when the index changes.
 */
import { defineMachine, isRecord } from '../../../../../shared/state/machine.js';

export interface FamilyEntry {
  /** The family's key (its `rfid`). */
  key: string;
  clientId: string;
  /** The family's absolute end (epoch ms): it is over by then whatever happens. */
  endsAt: number;
}

interface FamilyIndex {
  entries: FamilyEntry[];
}

/** A user keeps at most this many live families; the oldest is ended when another starts. */
export const MAX_FAMILIES_PER_USER = 100;

const isEntry = (e: unknown): e is FamilyEntry =>
  isRecord(e) && typeof e.key === 'string' && typeof e.clientId === 'string' && typeof e.endsAt === 'number';

function isFamilyIndex(d: unknown): d is FamilyIndex {
  return isRecord(d) && Array.isArray(d.entries) && d.entries.every(isEntry);
}

const live = (doc: FamilyIndex | undefined, now: number) => (doc?.entries ?? []).filter((e) => e.endsAt > now);

export const userRefreshFamilies = defineMachine({
  name: 'user-refresh-families',
  validate: isFamilyIndex,
  transitions: {
    /** Adds a family; answers the entries pushed out by the cap (their families must be ended). */
    add: (doc: FamilyIndex | undefined, entry: FamilyEntry, now: number) => {
      const entries = [...live(doc, now), entry];
      const dropped =
        entries.length > MAX_FAMILIES_PER_USER ? entries.splice(0, entries.length - MAX_FAMILIES_PER_USER) : [];
      return { doc: { entries }, result: dropped, expiresAt: Math.max(...entries.map((e) => e.endsAt)) };
    },
    /** Empties the index (the operator's "revoke all"); answers the live entries so their families can be ended. */
    clear: (doc: FamilyIndex | undefined, _args: undefined, now: number) => ({
      doc: undefined,
      result: live(doc, now),
    }),
  },
});
