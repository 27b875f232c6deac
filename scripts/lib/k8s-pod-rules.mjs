// Pod rules of `npm run k8s:check` (scripts/k8s-check.mjs): a restricted securityContext, resources and probes that
// point at what each component really serves, on every pod template; and Kubernetes label-selector semantics.
import { objectId } from './k8s-security-rules.mjs';

// Anything named like a secret must come from a Secret, never a literal (shared with the config rules).
export const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|_KEY$|^KEY_|DSN|DATABASE_URL|REDIS_URL|CREDENTIAL|PRIVATE)/i;

/**
 * The probe paths each long-running component actually serves (shared/app.ts for Workers, dataplane for bridges);
 * null accepts any handler. A bridge's /health reports its backend (the redis bridge answers 503 while Redis is
 * down), so its liveness may be a plain socket check: restarting a bridge cannot repair the data store.
 */
const PROBE_PATHS = {
  worker: { readiness: ['/ready'], liveness: ['/health'] },
  bridge: { readiness: ['/health'], liveness: null },
};

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

export function checkPodSecurity({ owner, template }, fail) {
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

export function checkProbes({ owner, template, longRunning }, fail) {
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
