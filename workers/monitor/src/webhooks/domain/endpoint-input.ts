/** The monitor API's webhook endpoint bodies, validated strictly (unknown fields refused). */
import { InputError } from '../../api/domain/input-error.js';
import { isSeverity, type Severity } from '../../detectors/domain/finding.js';
import { checkEndpointUrl, EndpointUrlError } from './endpoint.js';
import type { EndpointPatch } from './endpoint-store.js';
import type { AlertWebhookType } from './payload.js';

export class EndpointInputError extends InputError {
  readonly code = 'invalid_endpoint';
  readonly field = this.at;
}

const TYPES: readonly AlertWebhookType[] = ['alert.created', 'alert.escalated'];

export interface EndpointInput {
  url: string;
  description: string | null;
  types: AlertWebhookType[];
  minSeverity: Severity;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function url(v: unknown, allowPrivate: boolean): string {
  if (typeof v !== 'string') throw new EndpointInputError('url', 'must be a string');
  try {
    return checkEndpointUrl(v, { allowHttp: allowPrivate, allowPrivate });
  } catch (err) {
    if (err instanceof EndpointUrlError) throw new EndpointInputError('url', err.message);
    throw err;
  }
}

function description(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length > 500)
    throw new EndpointInputError('description', 'must be a string of at most 500 characters');
  return v;
}

function types(v: unknown): AlertWebhookType[] {
  if (!Array.isArray(v) || v.some((t) => !TYPES.includes(t as AlertWebhookType)))
    throw new EndpointInputError('types', `must be a list of ${TYPES.join(', ')} (empty: all)`);
  return [...new Set(v as AlertWebhookType[])];
}

function severity(v: unknown): Severity {
  if (!isSeverity(v)) throw new EndpointInputError('min_severity', 'must be low, medium, high or critical');
  return v;
}

function known(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const k of Object.keys(body)) if (!fields.includes(k)) throw new EndpointInputError(k, 'unknown field');
}

export function parseNewEndpoint(body: unknown, allowPrivate: boolean): EndpointInput {
  if (!isObject(body)) throw new EndpointInputError('body', 'must be a JSON object');
  known(body, ['url', 'description', 'types', 'min_severity']);
  return {
    url: url(body.url, allowPrivate),
    description: body.description === undefined ? null : description(body.description),
    types: body.types === undefined ? [] : types(body.types),
    minSeverity: body.min_severity === undefined ? 'low' : severity(body.min_severity),
  };
}

export function parseEndpointPatch(body: unknown, allowPrivate: boolean): EndpointPatch {
  if (!isObject(body)) throw new EndpointInputError('body', 'must be a JSON object');
  known(body, ['url', 'description', 'types', 'min_severity', 'disabled']);
  const patch: EndpointPatch = {};
  if (body.url !== undefined) patch.url = url(body.url, allowPrivate);
  if (body.description !== undefined) patch.description = description(body.description);
  if (body.types !== undefined) patch.types = types(body.types);
  if (body.min_severity !== undefined) patch.minSeverity = severity(body.min_severity);
  if (body.disabled !== undefined) {
    if (typeof body.disabled !== 'boolean') throw new EndpointInputError('disabled', 'must be a boolean');
    patch.disabled = body.disabled;
  }
  return patch;
}
