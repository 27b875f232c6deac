// Rules of `npm run k8s:check` about exposure and credentials: what the public Ingress may route, who outside the
// namespace may reach a pod, and which Secret each credential comes from. Each rule answers "who holds this, and what
// does it let them do": the checks keep the manifests at the answer the README gives.
import { WORKERS, workerVariables } from './workers.mjs';

const WORKER_NAMES = WORKERS.map((w) => w.name);

export function objectId(obj) {
  return `${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;
}

/** Every pod template in the rendering, with the workload it belongs to. */
export function podTemplates(objects) {
  const out = [];
  for (const obj of objects) {
    let template;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(obj.kind))
      template = obj.spec?.template;
    else if (obj.kind === 'CronJob') template = obj.spec?.jobTemplate?.spec?.template;
    else if (obj.kind === 'Pod') template = { metadata: obj.metadata, spec: obj.spec };
    if (template) out.push({ owner: obj, template, longRunning: !['Job', 'CronJob'].includes(obj.kind) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Ingress: only the public protocol endpoints

/**
 * Paths that must never be reachable from the internet: the admin endpoints (a leaked or bootstrap credential is a
 * superadmin there), /ready (every call queries Postgres and Redis, an unauthenticated amplifier) and /metrics.
 */
export const PRIVATE_PATHS = ['/admin', '/admin/keys/rotate', '/ready', '/metrics'];

/** Kubernetes path matching: Exact is equality, Prefix matches whole path elements (`/a` covers `/a/b`, not `/ab`). */
export function pathCovers(rulePath, pathType, path) {
  const p = rulePath || '/';
  if (pathType === 'Exact') return p === path;
  if (p === '/') return true;
  const base = p.replace(/\/+$/, '');
  return path === base || path.startsWith(`${base}/`);
}

export function checkIngressExposure(objects, fail) {
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const id = objectId(ing);
    const annotations = ing.metadata?.annotations ?? {};
    // Regular-expression paths and rewrites make the path a Worker sees differ from the path checked here.
    for (const a of ['nginx.ingress.kubernetes.io/use-regex', 'nginx.ingress.kubernetes.io/rewrite-target']) {
      if (a in annotations) fail(`${id}: annotation ${a} hides which paths reach the Workers; list plain paths`);
    }
    if (ing.spec?.defaultBackend) fail(`${id}: a defaultBackend routes every unlisted path to the internet`);
    for (const rule of ing.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const svc = path.backend?.service?.name;
        if (!['auth', 'admin'].includes(svc)) fail(`${id}: routes to ${svc}; only auth and admin are public`);
        const type = path.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const exposed = PRIVATE_PATHS.filter((p) => pathCovers(path.path, type, p));
        if (exposed.length > 0) {
          fail(
            `${id}: path ${path.path ?? '/'} (${type}) on ${rule.host ?? '*'} exposes ${exposed.join(', ')} publicly; list the public paths one by one`,
          );
        }
      }
    }
  }
}

/**
 * A NetworkPolicy peer in another namespace must name pods too (namespaceSelector and podSelector in one peer):
 * a whole namespace (any pod someone can start there) is too wide for the metrics port or the ingress port.
 */
export function checkCrossNamespacePeers(objects, fail) {
  for (const p of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    for (const rule of p.spec?.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (peer.namespaceSelector && Object.keys(peer.podSelector?.matchLabels ?? {}).length === 0) {
          const ns = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? 'any namespace';
          fail(`${objectId(p)}: admits every pod of ${ns}; name the pods (podSelector in the same peer)`);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Credentials

/** How each variable of a container gets its value: secretKeyRef, a ConfigMap (envFrom or key ref) or a literal. */
function envSources(container, configMaps) {
  const out = new Map();
  for (const src of container.envFrom ?? []) {
    const cm = src.configMapRef && configMaps.get(src.configMapRef.name);
    for (const [key, value] of Object.entries(cm?.data ?? {})) out.set(`${src.prefix ?? ''}${key}`, { value });
  }
  for (const e of container.env ?? []) {
    const secret = e.valueFrom?.secretKeyRef;
    const ref = e.valueFrom?.configMapKeyRef;
    if (secret) out.set(e.name, { secret: { name: secret.name, key: secret.key, optional: secret.optional === true } });
    else if (ref) out.set(e.name, { value: configMaps.get(ref.name)?.data?.[ref.key], configMap: ref });
    else out.set(e.name, { value: e.value });
  }
  return out;
}

const refText = (s) => `${s.name}/${s.key}`;

/** Environments where Prometheus's token may be left out (a developer's own cluster). */
const METRICS_TOKEN_OPTIONAL_IN = ['development', 'test'];

export function checkCredentials(objects, fail) {
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((c) => [c.metadata.name, c]));
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const workers = new Map();
  for (const name of WORKER_NAMES) {
    const dep = deployments.find((d) => d.metadata.name === name);
    const container = dep?.spec?.template?.spec?.containers?.find((c) =>
      (c.command ?? []).some((a) => String(a).endsWith('/workerd')),
    );
    if (container) workers.set(name, { id: objectId(dep), env: envSources(container, configMaps) });
  }

  // POLICY_API_TOKEN: the policy Worker answers direct callers only with it, and its callers send it. Off Cloudflare
  // the calls travel the network, so it is required, and one Secret key serves both sides.
  const policyRefs = new Map();
  for (const [name, w] of workers) {
    if (!workerVariables(name).has('POLICY_API_TOKEN')) continue;
    const src = w.env.get('POLICY_API_TOKEN');
    if (!src?.secret || src.secret.optional) {
      fail(`${w.id}: POLICY_API_TOKEN must come from a required secretKeyRef (it is required outside Cloudflare)`);
    } else policyRefs.set(name, refText(src.secret));
  }
  if (new Set(policyRefs.values()).size > 1) {
    fail(
      `POLICY_API_TOKEN: the Workers read it from different Secret keys (${[...policyRefs].map(([w, r]) => `${w}: ${r}`).join(', ')})`,
    );
  }

  // METRICS_TOKEN: without it /metrics is open to whatever reaches the port.
  for (const [, w] of workers) {
    const environment = w.env.get('ENVIRONMENT')?.value ?? 'production';
    if (METRICS_TOKEN_OPTIONAL_IN.includes(environment)) continue;
    const src = w.env.get('METRICS_TOKEN');
    if (!src?.secret || src.secret.optional) {
      fail(`${w.id}: METRICS_TOKEN must come from a required secretKeyRef when ENVIRONMENT=${environment}`);
    }
  }

  // The bootstrap token is a superadmin credential on internet-facing pods: it must be removable after bootstrap.
  const bootstrapRefs = new Set();
  for (const [, w] of workers) {
    const src = w.env.get('ADMIN_BOOTSTRAP_TOKEN');
    if (!src) continue;
    if (!src.secret) fail(`${w.id}: ADMIN_BOOTSTRAP_TOKEN must come from a Secret`);
    else {
      bootstrapRefs.add(refText(src.secret));
      if (!src.secret.optional) {
        fail(`${w.id}: ADMIN_BOOTSTRAP_TOKEN must be optional (secretKeyRef optional: true) so it can be retired`);
      }
    }
  }
  // Jobs carry their own credentials: never the bootstrap one.
  for (const { owner, template } of podTemplates(objects)) {
    if (WORKER_NAMES.includes(owner.metadata?.name) && owner.kind === 'Deployment') continue;
    for (const c of [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && (bootstrapRefs.has(refText(ref)) || ref.key === 'ADMIN_BOOTSTRAP_TOKEN')) {
          fail(`${objectId(owner)}: ${e.name} is the bootstrap admin token; give the job its own credential`);
        }
      }
    }
  }

  // Redis: one token per Worker, each from that Worker's own Secret, and the bridge checks exactly those.
  const redisRefs = new Map();
  for (const [name, w] of workers) {
    const src = w.env.get('UPSTASH_REDIS_REST_TOKEN');
    if (!src?.secret) continue; // reported by the required-variable rule
    const ref = refText(src.secret);
    const other = [...redisRefs].find(([, r]) => r === ref);
    if (other)
      fail(
        `${w.id}: UPSTASH_REDIS_REST_TOKEN is ${ref}, the same Secret key as ${other[0]}'s; each Worker needs its own`,
      );
    redisRefs.set(name, ref);
  }
  const bridge = deployments.find((d) =>
    (d.spec?.template?.spec?.containers ?? []).some((c) =>
      (c.command ?? []).some((a) => String(a).endsWith('main-redis-bridge.mjs')),
    ),
  );
  if (bridge) {
    const container = bridge.spec.template.spec.containers.find((c) =>
      (c.command ?? []).some((a) => String(a).endsWith('main-redis-bridge.mjs')),
    );
    const env = envSources(container, configMaps);
    const id = objectId(bridge);
    if (env.has('REDIS_BRIDGE_TOKEN')) fail(`${id}: REDIS_BRIDGE_TOKEN (one token for all Workers) is no longer read`);
    for (const [name, ref] of redisRefs) {
      const src = env.get(`REDIS_BRIDGE_TOKEN_${name.toUpperCase()}`);
      if (!src?.secret || refText(src.secret) !== ref) {
        fail(
          `${id}: REDIS_BRIDGE_TOKEN_${name.toUpperCase()} must come from ${ref}, the token the ${name} Worker sends`,
        );
      }
    }
    const prefix = env.get('REDIS_BRIDGE_KEY_PREFIX')?.value ?? '';
    for (const [, w] of workers) {
      const workerPrefix = w.env.get('REDIS_KEY_PREFIX')?.value ?? '';
      if (workerPrefix !== prefix) {
        fail(`${id}: REDIS_BRIDGE_KEY_PREFIX "${prefix}" differs from ${w.id}'s REDIS_KEY_PREFIX "${workerPrefix}"`);
      }
    }
  }
}
