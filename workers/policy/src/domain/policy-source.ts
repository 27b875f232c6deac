/**
 * Policy set source: Cedar policy text split into policies with ids, the schema in either syntax, and strict
 * validation of one against the other, with Cedar's own messages as SourceErrors (a 400 lists them).
 */
import { engine, type DetailedError, type PolicyJson, type SchemaJson } from './cedar.js';

export interface SourceError {
  /** The policy the error is about, when Cedar attributes it to one. */
  policy_id: string | null;
  /** `schema`, `parse` (policy syntax), `validation` (policy against schema), `template`, `duplicate_id`. */
  kind: 'schema' | 'parse' | 'validation' | 'template' | 'duplicate_id' | 'entities';
  message: string;
  help?: string;
  source_locations?: { start: number; end: number }[];
}

export class PolicySourceError extends Error {
  readonly code = 'ERR_POLICY_SOURCE';
  constructor(readonly errors: SourceError[]) {
    super(errors.map((e) => (e.policy_id ? `${e.policy_id}: ${e.message}` : e.message)).join('; '));
    this.name = 'PolicySourceError';
  }
}

export function toSourceError(kind: SourceError['kind'], e: DetailedError, policyId: string | null = null) {
  const out: SourceError = { policy_id: policyId, kind, message: e.message };
  if (e.help) out.help = e.help;
  if (e.sourceLocations && e.sourceLocations.length > 0) {
    out.source_locations = e.sourceLocations.map((l) => ({ start: l.start, end: l.end }));
  }
  return out;
}

export interface ParsedPolicy {
  id: string;
  text: string;
  json: PolicyJson;
}

/**
 * Splits policy text into policies with ids: the `@id("…")` annotation when present, otherwise Cedar's own
 * default id (`policy<N>`, N = position in the text). Templates are not supported (nothing links them).
 */
export function parsePolicies(text: string): ParsedPolicy[] {
  const cedar = engine();
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') throw new PolicySourceError(parts.errors.map((e) => toSourceError('parse', e)));
  if (parts.policy_templates.length > 0) {
    throw new PolicySourceError([
      {
        policy_id: null,
        kind: 'template',
        message: 'policy templates (?principal / ?resource slots) are not supported',
      },
    ]);
  }
  // Cedar returns the parts sorted by their default ids ("policy0" < "policy1" < "policy10" < "policy2"),
  // and the default id numbers policies in text order: sorting the same ids recovers each part's id.
  const defaultIds = parts.policies.map((_, i) => `policy${i}`).sort();
  const seen = new Set<string>();
  const out: ParsedPolicy[] = [];
  parts.policies.forEach((policyText, i) => {
    const parsed = cedar.policyToJson(policyText);
    if (parsed.type === 'failure') throw new PolicySourceError(parsed.errors.map((e) => toSourceError('parse', e)));
    const id = parsed.json.annotations?.id ?? (defaultIds[i] as string);
    if (seen.has(id)) {
      throw new PolicySourceError([
        { policy_id: id, kind: 'duplicate_id', message: `policy id "${id}" is used twice` },
      ]);
    }
    seen.add(id);
    out.push({ id, text: policyText, json: parsed.json });
  });
  return out;
}

/** The schema as JSON, from Cedar schema syntax or JSON schema text. */
export function parseSchema(schema: string): SchemaJson<string> {
  const cedar = engine();
  const trimmed = schema.trimStart();
  let input: string | SchemaJson<string> = schema;
  if (trimmed.startsWith('{')) {
    try {
      input = JSON.parse(schema) as SchemaJson<string>;
    } catch (err) {
      throw new PolicySourceError([
        { policy_id: null, kind: 'schema', message: `invalid JSON schema: ${(err as Error).message}` },
      ]);
    }
  }
  const check = cedar.checkParseSchema(input);
  if (check.type === 'failure') throw new PolicySourceError(check.errors.map((e) => toSourceError('schema', e)));
  if (typeof input !== 'string') return input;
  const json = cedar.schemaToJson(input);
  if (json.type === 'failure') throw new PolicySourceError(json.errors.map((e) => toSourceError('schema', e)));
  return json.json;
}

/** Strict validation of the policies against the schema; throws with Cedar's messages. Returns warnings. */
export function validatePolicies(policies: ParsedPolicy[], schema: SchemaJson<string>): SourceError[] {
  const staticPolicies = Object.fromEntries(policies.map((p) => [p.id, p.text]));
  const answer = engine().validate({ schema, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') throw new PolicySourceError(answer.errors.map((e) => toSourceError('validation', e)));
  if (answer.validationErrors.length > 0) {
    throw new PolicySourceError(answer.validationErrors.map((e) => toSourceError('validation', e.error, e.policyId)));
  }
  return [
    ...answer.validationWarnings.map((w) => toSourceError('validation', w.error, w.policyId)),
    ...answer.otherWarnings.map((w) => toSourceError('validation', w)),
  ];
}
