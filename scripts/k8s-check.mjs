#!/usr/bin/env node
// `npm run k8s:check`: renders every kustomize overlay of the Kubernetes fallback with `kubectl kustomize`, validates
// EVERY object against the Kubernetes JSON schemas bundled in `kubernetes-models`, then enforces the project's own
// rules that a schema cannot express (restricted securityContext, probes, resources, no secret values, HPA + PDB
// per Worker, default-deny NetworkPolicies that allow exactly the calls the Workers' service bindings make, the
// generated workerd config's expectations: socket name, port, Durable Object storage, runtime variables).
//
// Usage: node scripts/k8s-check.mjs [--overlay DIR]...   (default: every folder in k8s-fallback/overlays/)
// Exit status 0 when every overlay passes, 1 with a list of failures otherwise.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  checkCredentials,
  checkCrossNamespacePeers,
  checkIngressExposure,
  objectId,
  podTemplates,
} from './lib/k8s-security-rules.mjs';
import { checkNetworkPolicies } from './lib/k8s-network-rules.mjs';
import { checkPodSecurity, checkProbes, SECRET_NAME, selectorMatches } from './lib/k8s-pod-rules.mjs';
import { renderOverlay, validateSchemas } from './lib/k8s-render.mjs';
import { readWranglerConfig, ROOT, WORKERS, workerVariables } from './lib/workers.mjs';

export { selectorMatches } from './lib/k8s-pod-rules.mjs';
export { ALLOWED_WITHOUT_SCHEMA, renderOverlay, splitJsonStream, validateSchemas } from './lib/k8s-render.mjs';

const K8S_DIR = join(ROOT, 'k8s-fallback');
const WORKER_NAMES = WORKERS.map((w) => w.name);

/**
 * Settings the Kubernetes deployment depends on, for every Worker that declares them. Several replicas share
 * strongly consistent state (rate limits today) only through the Redis backend: workerd's Durable Objects live in
 * one process (ARCHITECTURE.md, "Where state lives"). A deprecated alias of such a variable, if set, must agree.
 * Which variables a Worker reads, and which it requires, come from its declaration (workers/<name>/src/variables.ts).
 */
const REQUIRED_VALUES = { STATE_BACKEND: 'redis' };

// ---------------------------------------------------------------------------------------------------------------
// Project rules

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
