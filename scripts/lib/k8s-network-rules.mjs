// NetworkPolicy rules of `npm run k8s:check` (scripts/k8s-check.mjs): a default deny, and Worker-to-Worker paths
// allowed exactly where a Worker's service bindings call another (both the caller's egress and the callee's ingress).
import { podTemplates } from './k8s-security-rules.mjs';
import { selectorMatches } from './k8s-pod-rules.mjs';
import { readWranglerConfig, WORKERS } from './workers.mjs';

const WORKER_NAMES = WORKERS.map((w) => w.name);
const SERVICE_PREFIX = 'edge-security-';

export function checkNetworkPolicies(objects, fail) {
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
