/** Alerts as the monitor API reads and changes them. */
import type { Severity } from '../../detectors/domain/finding.js';
import type { Alert, AlertStatus } from './deduplicate.js';

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: Severity[];
  detector?: string;
  kind?: string;
  /** last_seen ≥ since, < until (epoch ms). */
  since?: number;
  until?: number;
  limit: number;
}

export interface AlertStore {
  /** Newest last_seen first. */
  list(filter: AlertFilter): Promise<Alert[]>;
  get(id: string): Promise<Alert | null>;
  /**
   * Saves an operator's status change `next` of `previous`, only if the stored alert still has the status it had
   * (a concurrent change wins otherwise, and this returns false).
   */
  saveStatus(previous: Alert, next: Alert): Promise<boolean>;
}
