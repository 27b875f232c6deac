// Rendering the Kubernetes fallback's overlays (`kubectl kustomize`) and validating every object against the JSON
// schemas bundled in `kubernetes-models`: the first two steps of `npm run k8s:check` (scripts/k8s-check.mjs).
import { execFileSync } from 'node:child_process';
import { objectId } from './k8s-security-rules.mjs';

/**
 * Kinds that may appear without a kubernetes-models schema, each with the reason. Empty on purpose: every kind the
 * manifests use today has a schema. Add an entry only for a CRD-free exception and say why.
 */
export const ALLOWED_WITHOUT_SCHEMA = new Map();

// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** kubectl's output of several objects as JSON is a stream of concatenated documents; split it without a YAML parser. */
export function splitJsonStream(text) {
  const docs = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0) throw new Error('unterminated JSON document in kubectl output');
  return docs;
}

function kubectl(args, input) {
  return execFileSync('kubectl', args, {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * Renders an overlay and returns its objects. `kubectl kustomize` only prints YAML, so the YAML goes through
 * `kubectl patch --local` with an empty merge patch (a no-op, offline) to come back as JSON. The document count is
 * compared with the YAML stream so that nothing is dropped on the way.
 */
export function renderOverlay(dir) {
  let yaml;
  try {
    yaml = kubectl(['kustomize', dir]);
  } catch (err) {
    throw new Error(`kubectl kustomize ${dir} failed: ${String(err.stderr || err.message).trim()}`);
  }
  const yamlDocs = yaml.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length;
  if (yamlDocs === 0) return [];
  let json;
  try {
    json = kubectl(['patch', '--local', '-f', '-', '--type', 'merge', '-p', '{}', '-o', 'json'], yaml);
  } catch (err) {
    throw new Error(`converting the rendering of ${dir} to JSON failed: ${String(err.stderr || err.message).trim()}`);
  }
  const objects = splitJsonStream(json).flatMap((o) => (o.kind === 'List' ? o.items : [o]));
  if (objects.length !== yamlDocs) {
    throw new Error(`rendered ${yamlDocs} YAML documents but converted ${objects.length} objects for ${dir}`);
  }
  return objects;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema validation with kubernetes-models

const modelCache = new Map();

async function modelFor(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!modelCache.has(key)) {
    let Model = null;
    // kubernetes-models exports one module per group/version/kind: `kubernetes-models/apps/v1/Deployment`.
    if (/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
      try {
        // A plain variable, not a template literal: bundlers (vitest's vite) would try to resolve the pattern.
        const specifier = ['kubernetes-models', apiVersion, kind].join('/');
        const mod = await import(specifier);
        const candidate = mod[kind];
        if (typeof candidate === 'function' && candidate.apiVersion === apiVersion && candidate.kind === kind) {
          Model = candidate;
        }
      } catch {
        Model = null;
      }
    }
    modelCache.set(key, Model);
  }
  return modelCache.get(key);
}

function describeValidationError(err) {
  if (Array.isArray(err?.errors) && err.errors.length > 0) {
    return err.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
  }
  return String(err?.message ?? err);
}

export async function validateSchemas(objects) {
  const failures = [];
  for (const obj of objects) {
    const id = objectId(obj);
    if (!obj || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      failures.push(`${id}: object has no apiVersion/kind`);
      continue;
    }
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (!Model) {
      const reason = ALLOWED_WITHOUT_SCHEMA.get(`${obj.apiVersion}/${obj.kind}`);
      if (!reason)
        failures.push(`${id}: no kubernetes-models schema for ${obj.apiVersion} ${obj.kind}; cannot validate`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (err) {
      failures.push(`${id}: schema: ${describeValidationError(err)}`);
    }
  }
  return failures;
}
