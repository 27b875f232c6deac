#!/usr/bin/env node
// `npm run k8s:check`: renders every kustomize overlay of the Kubernetes fallback with `kubectl kustomize`, validates
// EVERY object against the Kubernetes JSON schemas bundled in `kubernetes-models`, then enforces the project's own
// rules that a schema cannot express (restricted securityContext, probes, resources, no secret values, HPA + PDB
// per Worker, default-deny NetworkPolicies that allow exactly the calls the Workers' service bindings make, the
// generated workerd config's expectations: socket name, port, Durable Object storage, runtime variables).
//
// Usage: node scripts/k8s-check.mjs [--overlay DIR]...   (default: every folder in k8s-fallback/overlays/)
// Exit status 0 when every overlay passes, 1 with a list of failures otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  checkCredentials,
  checkCrossNamespacePeers,
  checkIngressExposure,
  objectId,
  podTemplates,
} from './lib/k8s-security-rules.mjs';
import { readWranglerConfig, ROOT, WORKERS, workerVariables } from './lib/workers.mjs';

const K8S_DIR = join(ROOT, 'k8s-fallback');
const WORKER_NAMES = WORKERS.map((w) => w.name);
const SERVICE_PREFIX = 'edge-security-';

/**
 * Kinds that may appear without a kubernetes-models schema, each with the reason. Empty on purpose: every kind the
 * manifests use today has a schema. Add an entry only for a CRD-free exception and say why.
 */
export const ALLOWED_WITHOUT_SCHEMA = new Map();

/**
 * The probe paths each long-running component actually serves (shared/app.ts for Workers, dataplane for bridges);
 * null accepts any handler. A bridge's /health reports its backend (the redis bridge answers 503 while Redis is
 * down), so its liveness may be a plain socket check: restarting a bridge cannot repair the data store.
 */
const PROBE_PATHS = {
  worker: { readiness: ['/ready'], liveness: ['/health'] },
  bridge: { readiness: ['/health'], liveness: null },
};

/**
 * Settings the Kubernetes deployment depends on, for every Worker that declares them. Several replicas share
 * strongly consistent state (rate limits today) only through the Redis backend: workerd's Durable Objects live in
 * one process (ARCHITECTURE.md, "Where state lives"). A deprecated alias of such a variable, if set, must agree.
 * Which variables a Worker reads, and which it requires, come from its declaration (workers/<name>/src/variables.ts).
 */
const REQUIRED_VALUES = { STATE_BACKEND: 'redis' };

/** Names that must only ever come from a Secret (checked on literal env values and ConfigMap keys). */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|_KEY$|^KEY_|DSN|DATABASE_URL|REDIS_URL|CREDENTIAL|PRIVATE)/i;

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

// ---------------------------------------------------------------------------------------------------------------
// Project rules

/** Kubernetes label selector semantics (matchLabels AND matchExpressions). An empty selector matches everything. */
export function selectorMatches(selector, labels = {}) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const values = expr.values ?? [];
    if (expr.operator === 'In' && !(has && values.includes(labels[expr.key]))) return false;
    if (expr.operator === 'NotIn' && has && values.includes(labels[expr.key])) return false;
    if (expr.operator === 'Exists' && !has) return false;
    if (expr.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function checkPodSecurity({ owner, template }, fail) {
  const id = objectId(owner);
  const pod = template.spec ?? {};
  const podSc = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail(`${id}: uses the host network/PID/IPC namespace`);
  if (pod.automountServiceAccountToken !== false) fail(`${id}: automountServiceAccountToken must be false`);
  if (podSc.runAsUser === 0) fail(`${id}: pod runAsUser is 0`);
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  if (containers.length === 0) fail(`${id}: pod has no containers`);
  for (const c of containers) {
    const cid = `${id} container ${c.name}`;
    const sc = c.securityContext ?? {};
    const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (runAsNonRoot !== true) fail(`${cid}: securityContext.runAsNonRoot must be true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) fail(`${cid}: runs as UID 0`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${cid}: securityContext.allowPrivilegeEscalation must be false`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${cid}: securityContext.readOnlyRootFilesystem must be true`);
    if (sc.privileged === true) fail(`${cid}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL'))
      fail(`${cid}: securityContext.capabilities.drop must include ALL`);
    if ((sc.capabilities?.add ?? []).length > 0) fail(`${cid}: adds capabilities ${sc.capabilities.add.join(', ')}`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault')
      fail(`${cid}: seccompProfile.type must be RuntimeDefault (got ${seccomp ?? 'none'})`);
    for (const res of ['requests', 'limits']) {
      for (const r of ['cpu', 'memory']) {
        if (c.resources?.[res]?.[r] === undefined) fail(`${cid}: resources.${res}.${r} is missing`);
      }
    }
    if (typeof c.image !== 'string' || c.image.length === 0) fail(`${cid}: no image`);
    else if (!c.image.includes('@') && (!/:[^/]+$/.test(c.image) || c.image.endsWith(':latest'))) {
      fail(`${cid}: image "${c.image}" must be pinned to a tag other than latest (or a digest)`);
    }
    if (c.envFrom?.some((e) => e.secretRef)) fail(`${cid}: envFrom secretRef; reference secret keys one by one`);
    for (const e of c.env ?? []) {
      if (e.value !== undefined && SECRET_NAME.test(e.name) && e.value !== '') {
        fail(`${cid}: env ${e.name} has a literal value; secrets must come from a secretKeyRef`);
      }
    }
  }
}

function checkProbes({ owner, template, longRunning }, fail) {
  if (!longRunning) return;
  const id = objectId(owner);
  const component = template.metadata?.labels?.['app.kubernetes.io/component'];
  for (const c of template.spec?.containers ?? []) {
    const cid = `${id} container ${c.name}`;
    for (const kind of ['readiness', 'liveness']) {
      const probe = c[`${kind}Probe`];
      if (!probe) {
        fail(`${cid}: no ${kind}Probe`);
        continue;
      }
      const expected = PROBE_PATHS[component]?.[kind];
      if (!expected) continue;
      if (!probe.httpGet) {
        fail(`${cid}: ${kind}Probe must be an httpGet on ${expected.join(' or ')}`);
        continue;
      }
      if (!expected.includes(probe.httpGet.path)) {
        fail(`${cid}: ${kind}Probe path ${probe.httpGet.path} (the ${component} serves ${expected.join(' or ')})`);
      }
      const port = probe.httpGet.port;
      const declared = (c.ports ?? []).some((p) => p.name === port || p.containerPort === port);
      if (!declared) fail(`${cid}: ${kind}Probe port ${port} is not a declared container port`);
    }
  }
}

function checkSecretsAndConfig(objects, fail) {
  for (const obj of objects) {
    if (
      obj.kind === 'Secret' &&
      (Object.keys(obj.data ?? {}).length > 0 || Object.keys(obj.stringData ?? {}).length > 0)
    ) {
      fail(`${objectId(obj)}: Secret with data; manifests carry secret references only (create Secrets out of band)`);
    }
    if (obj.kind === 'ConfigMap') {
      for (const key of Object.keys(obj.data ?? {})) {
        if (SECRET_NAME.test(key))
          fail(`${objectId(obj)}: key ${key} looks secret; put it in a Secret and reference it`);
      }
    }
  }
}

function hasDurableObjects(wrangler) {
  return (wrangler.durable_objects?.bindings ?? []).length > 0;
}

function checkWorkers(objects, fail, warn) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c]));
  for (const { name, port } of WORKERS) {
    const wrangler = readWranglerConfig(name);
    const dep = byKind('Deployment').find((d) => d.metadata.name === name);
    if (!dep) {
      fail(`Worker ${name}: no Deployment named ${name}`);
      continue;
    }
    const id = objectId(dep);
    const podLabels = dep.spec?.template?.metadata?.labels ?? {};
    if (podLabels['app.kubernetes.io/component'] !== 'worker')
      fail(`${id}: pod label app.kubernetes.io/component must be worker`);

    // The generated <name>.capnp reaches peers at `<peer>:<port>`, so the Service name and port are part of the contract.
    const svc = byKind('Service').find((s) => s.metadata.name === name);
    if (!svc) fail(`Worker ${name}: no Service named ${name} (the other Workers' configs dial ${name}:${port})`);
    else {
      if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) fail(`${objectId(svc)}: must expose port ${port}`);
      if (!selectorMatches({ matchLabels: svc.spec?.selector ?? {} }, podLabels) || !svc.spec?.selector) {
        fail(`${objectId(svc)}: selector does not select the ${name} pods`);
      }
    }

    const hpa = byKind('HorizontalPodAutoscaler').find(
      (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === name,
    );
    if (!hpa) fail(`Worker ${name}: no HorizontalPodAutoscaler targeting Deployment ${name}`);
    else if (!(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas)) {
      fail(`${objectId(hpa)}: needs 1 <= minReplicas <= maxReplicas`);
    }
    const pdb = byKind('PodDisruptionBudget').find((p) => selectorMatches(p.spec?.selector, podLabels));
    if (!pdb) fail(`Worker ${name}: no PodDisruptionBudget selecting its pods`);

    const containers = dep.spec?.template?.spec?.containers ?? [];
    const workerd = containers.find((c) => (c.command ?? []).some((a) => String(a).endsWith('/workerd')));
    if (!workerd) {
      fail(`${id}: no container runs workerd`);
      continue;
    }
    const cmd = [...(workerd.command ?? []), ...(workerd.args ?? [])];
    const serveAt = cmd.indexOf('serve');
    if (serveAt < 0 || cmd[serveAt + 1] !== `/app/workerd/${name}.capnp`) {
      fail(`${id}: must run \`workerd serve /app/workerd/${name}.capnp\``);
    }
    const flag = (f) => {
      const values = [];
      cmd.forEach((a, i) => {
        if (a === f && i + 1 < cmd.length) values.push(cmd[i + 1]);
        else if (String(a).startsWith(`${f}=`)) values.push(String(a).slice(f.length + 1));
      });
      return values;
    };
    if (!flag('--socket-addr').includes(`${name}=0.0.0.0:${port}`))
      fail(`${id}: needs --socket-addr ${name}=0.0.0.0:${port}`);
    if (!(workerd.ports ?? []).some((p) => p.containerPort === port)) fail(`${id}: containerPort ${port} missing`);

    // Durable Objects: the generated config declares a disk service `do-storage` only when the Worker has DO classes,
    // and workerd refuses a --directory-path for a service that does not exist.
    const doPaths = flag('--directory-path').filter((v) => v.startsWith('do-storage='));
    if (hasDurableObjects(wrangler)) {
      if (doPaths.length !== 1)
        fail(`${id}: has Durable Objects, so it needs --directory-path do-storage=<emptyDir mount>`);
      else {
        const path = doPaths[0].slice('do-storage='.length);
        const mount = (workerd.volumeMounts ?? []).find((m) => m.mountPath === path);
        const volume = mount && (dep.spec.template.spec.volumes ?? []).find((v) => v.name === mount.name);
        if (!mount || mount.readOnly) fail(`${id}: the Durable Object folder ${path} must be a writable volume mount`);
        else if (!volume?.emptyDir) fail(`${id}: the Durable Object folder ${path} must be an emptyDir`);
      }
    } else if (doPaths.length > 0) {
      fail(`${id}: --directory-path do-storage given but ${name} declares no Durable Objects (workerd would refuse)`);
    }

    // Runtime variables: whatever the pod sets must reach the Worker (be bound fromEnvironment in the generated
    // config), or the setting would be silently ignored. Required ones must have a source; the rest fall back to
    // the Worker's defaults and are only reported.
    const provided = new Map();
    for (const src of workerd.envFrom ?? []) {
      if (!src.configMapRef) continue;
      const cm = configMaps.get(src.configMapRef.name);
      if (!cm) {
        if (!src.configMapRef.optional)
          fail(`${id}: envFrom ConfigMap ${src.configMapRef.name} is not in the rendering`);
        continue;
      }
      for (const [key, value] of Object.entries(cm.data ?? {})) {
        provided.set(`${src.prefix ?? ''}${key}`, { source: `ConfigMap ${cm.metadata.name}`, value });
      }
    }
    for (const e of workerd.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      let value = e.value;
      if (ref) {
        value = configMaps.get(ref.name)?.data?.[ref.key];
        if (value === undefined && !ref.optional)
          fail(`${id}: env ${e.name} references missing ConfigMap key ${ref.name}/${ref.key}`);
      }
      provided.set(e.name, { source: e.valueFrom?.secretKeyRef ? 'Secret' : 'env', value });
    }
    // The generated config binds exactly the declared variables `fromEnvironment` (scripts/lib/workerd-config.mjs).
    const bound = workerVariables(name);
    for (const [envName, { source }] of provided) {
      if (!bound.has(envName)) {
        const hint = Object.hasOwn(wrangler.vars ?? {}, envName)
          ? `it is a [vars] constant in workers/${name}/wrangler.toml`
          : `declare it in workers/${name}/src/variables.ts if the Worker reads it`;
        fail(
          `${id}: ${envName} (from ${source}) never reaches the Worker: the generated config does not bind it (${hint})`,
        );
      }
    }
    const defaulted = [];
    for (const [envName, { required, aliasOf }] of bound) {
      if (provided.has(envName) || aliasOf) continue;
      if (required) fail(`${id}: required runtime variable ${envName} has no source (ConfigMap key or secretKeyRef)`);
      else defaulted.push(envName);
    }
    if (defaulted.length > 0)
      warn(`${id}: ${defaulted.length} optional variable(s) left at the Worker's defaults: ${defaulted.join(', ')}`);
    for (const [target, expected] of Object.entries(REQUIRED_VALUES)) {
      if (!bound.has(target)) continue;
      const aliases = [...bound].filter(([, v]) => v.aliasOf === target).map(([k]) => k);
      for (const envName of [target, ...aliases]) {
        const got = provided.get(envName)?.value;
        if (got === expected || (got === undefined && envName !== target)) continue;
        fail(
          `${id}: ${envName} must be "${expected}" on Kubernetes (got ${got === undefined ? 'nothing' : `"${got}"`})`,
        );
      }
    }
  }
}

function checkNetworkPolicies(objects, fail) {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const defaultDeny = policies.find(
    (p) =>
      Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
      ['Ingress', 'Egress'].every((t) => (p.spec?.policyTypes ?? []).includes(t)) &&
      (p.spec?.ingress ?? []).length === 0 &&
      (p.spec?.egress ?? []).length === 0,
  );
  if (!defaultDeny)
    fail('NetworkPolicy: no default-deny policy (podSelector {}, policyTypes Ingress+Egress, no rules)');

  const workloads = podTemplates(objects).map(({ owner, template }) => ({
    name: owner.metadata.name,
    labels: template.metadata?.labels ?? {},
  }));
  const peersOf = (peer) => {
    if (peer.ipBlock || peer.namespaceSelector) return [];
    return workloads.filter((w) => selectorMatches(peer.podSelector, w.labels)).map((w) => w.name);
  };
  const selected = (p) => workloads.filter((w) => selectorMatches(p.spec?.podSelector, w.labels)).map((w) => w.name);

  // Worker-to-Worker paths allowed on both sides (egress of the caller AND ingress of the callee).
  const egress = new Set();
  const ingress = new Set();
  const externalIngress = new Set();
  for (const p of policies) {
    const targets = selected(p);
    for (const rule of p.spec?.egress ?? []) {
      for (const peer of rule.to ?? [])
        for (const dst of peersOf(peer)) for (const src of targets) egress.add(`${src}>${dst}`);
    }
    for (const rule of p.spec?.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        for (const dst of targets) {
          for (const src of peersOf(peer)) ingress.add(`${src}>${dst}`);
          const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
          if (ns && ns !== 'monitoring') externalIngress.add(dst);
          if (peer.ipBlock || (peer.namespaceSelector && !ns)) externalIngress.add(dst);
        }
      }
    }
  }
  const expected = new Set();
  for (const name of WORKER_NAMES) {
    for (const svc of readWranglerConfig(name).services ?? []) {
      const target = svc.service.startsWith(SERVICE_PREFIX) ? svc.service.slice(SERVICE_PREFIX.length) : svc.service;
      expected.add(`${name}>${target}`);
    }
  }
  for (const edge of expected) {
    const [a, b] = edge.split('>');
    if (!egress.has(edge)) fail(`NetworkPolicy: ${a} calls ${b} (service binding) but no egress rule allows it`);
    if (!ingress.has(edge))
      fail(`NetworkPolicy: ${a} calls ${b} (service binding) but ${b} accepts no ingress from ${a}`);
  }
  for (const edge of new Set([...egress, ...ingress])) {
    const [a, b] = edge.split('>');
    if (WORKER_NAMES.includes(a) && WORKER_NAMES.includes(b) && !expected.has(edge)) {
      fail(`NetworkPolicy: allows ${a} -> ${b}, which no service binding needs`);
    }
  }
  for (const dst of externalIngress) {
    if (!['auth', 'admin'].includes(dst))
      fail(`NetworkPolicy: ${dst} accepts traffic from outside the namespace; only auth and admin may`);
  }
}

function checkCronTriggers(objects, fail) {
  const cronJobs = objects.filter((o) => o.kind === 'CronJob');
  for (const name of WORKER_NAMES) {
    const crons = readWranglerConfig(name).triggers?.crons ?? [];
    if (crons.length === 0) continue;
    const jobs = cronJobs.filter((j) => j.metadata?.labels?.['edge-security.dev/replaces-cron-of'] === name);
    if (jobs.length === 0) fail(`Worker ${name}: has cron triggers (${crons.join(', ')}) but no CronJob replaces them`);
    for (const j of jobs) {
      if (!crons.includes(j.spec?.schedule)) {
        fail(
          `${objectId(j)}: schedule "${j.spec?.schedule}" differs from ${name}'s cron triggers (${crons.join(', ')})`,
        );
      }
    }
  }
}

function checkNamespace(objects, fail) {
  const ns = objects.filter((o) => o.kind === 'Namespace');
  if (ns.length === 0) fail('Namespace: the overlay must create its namespace (with Pod Security labels)');
  for (const n of ns) {
    if (n.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') {
      fail(`${objectId(n)}: label pod-security.kubernetes.io/enforce must be restricted`);
    }
  }
}

/**
 * The Secret keys each `kubectl create secret generic NAME --from-literal=KEY=...` command of the README creates
 * (continuation lines included).
 */
export function documentedSecretKeys(readme) {
  const keys = new Map();
  for (const m of readme.matchAll(/create secret generic ([a-z0-9.-]+)((?:[^\n]*\\\n)*[^\n]*)/g)) {
    const set = keys.get(m[1]) ?? new Set();
    for (const k of (m[2] ?? '').matchAll(/--from-literal=([A-Za-z0-9_.-]+)=/g)) set.add(k[1]);
    keys.set(m[1], set);
  }
  return keys;
}

/** Every secret key the manifests reference must be created by a command in k8s-fallback/README.md. */
function checkSecretsDocumented(objects, fail) {
  const readmePath = join(K8S_DIR, 'README.md');
  const documented = documentedSecretKeys(existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '');
  const refs = new Set();
  for (const { template } of podTemplates(objects)) {
    for (const c of [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) refs.add(`${ref.name}/${ref.key}`);
      }
    }
  }
  for (const ref of refs) {
    const [secret, key] = ref.split('/');
    if (!documented.get(secret)?.has(key)) {
      fail(
        `Secret reference ${ref}: k8s-fallback/README.md must show how to create it (kubectl create secret generic ${secret} --from-literal=${key}=...)`,
      );
    }
  }
}

/** All project rules on one rendered overlay. Returns the list of failures (empty when it passes). */
export function checkProjectRules(objects, warnings = []) {
  const failures = [];
  const fail = (msg) => failures.push(msg);
  const warn = (msg) => warnings.push(msg);
  checkSecretsAndConfig(objects, fail);
  for (const pt of podTemplates(objects)) {
    checkPodSecurity(pt, fail);
    checkProbes(pt, fail);
  }
  checkWorkers(objects, fail, warn);
  checkNetworkPolicies(objects, fail);
  checkIngressExposure(objects, fail);
  checkCrossNamespacePeers(objects, fail);
  checkCredentials(objects, fail);
  checkCronTriggers(objects, fail);
  checkNamespace(objects, fail);
  checkSecretsDocumented(objects, fail);
  return failures;
}

export async function checkOverlay(dir) {
  let objects;
  try {
    objects = renderOverlay(dir);
  } catch (err) {
    return { objects: 0, failures: [err.message], warnings: [] };
  }
  if (objects.length === 0) return { objects: 0, failures: [`${dir}: renders no objects`], warnings: [] };
  const warnings = [];
  const failures = [...(await validateSchemas(objects)), ...checkProjectRules(objects, warnings)];
  return { objects: objects.length, failures, warnings };
}

export function defaultOverlays() {
  const root = join(K8S_DIR, 'overlays');
  return readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'kustomization.yaml')))
    .sort();
}

async function main(argv) {
  const overlays = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--overlay' && argv[i + 1]) overlays.push(resolve(argv[++i]));
    else {
      console.error(`unknown argument ${argv[i]}; usage: k8s-check.mjs [--overlay DIR]...`);
      return 2;
    }
  }
  const dirs = overlays.length > 0 ? overlays : defaultOverlays();
  if (dirs.length === 0) {
    console.error('k8s-check: no overlays found');
    return 1;
  }
  let failed = 0;
  for (const dir of dirs) {
    const { objects, failures, warnings } = await checkOverlay(dir);
    const label = dir.startsWith(`${ROOT}/`) ? relative(ROOT, dir) : dir;
    for (const w of warnings) console.log(`note ${label}: ${w}`);
    if (failures.length === 0) console.log(`ok   ${label}: ${objects} objects valid`);
    else {
      failed++;
      console.error(`FAIL ${label}: ${failures.length} problem(s) in ${objects} objects`);
      for (const f of failures) console.error(`  - ${f}`);
    }
  }
  console.log(
    failed === 0
      ? `k8s-check: ${dirs.length} overlay(s) passed`
      : `k8s-check: ${failed} of ${dirs.length} overlay(s) failed`,
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
