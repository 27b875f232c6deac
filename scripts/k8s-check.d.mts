// Types for scripts/k8s-check.mjs, so TypeScript tests can import it.
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}
export const ALLOWED_WITHOUT_SCHEMA: Map<string, string>;
export function splitJsonStream(text: string): unknown[];
export function renderOverlay(dir: string): K8sObject[];
export function validateSchemas(objects: K8sObject[]): Promise<string[]>;
export function selectorMatches(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined,
  labels?: Record<string, string>,
): boolean;
export function checkProjectRules(objects: K8sObject[], warnings?: string[]): string[];
export function checkOverlay(dir: string): Promise<{ objects: number; failures: string[]; warnings: string[] }>;
export function defaultOverlays(): string[];
