/**
 * `npm run k8s:check` passes on the real overlays and fails, naming the problem, on overlays broken on purpose.
 * Each broken overlay layers one defect on top of overlays/dev; the dev overlay itself runs in the same invocation
 * as the control, so every expected message must be NEW relative to it (a defect the check already reported for
 * another reason would not prove anything).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const SCRIPT = join(ROOT, 'scripts', 'k8s-check.mjs');
const DEV = join(ROOT, 'k8s-fallback', 'overlays', 'dev');
const PROD = join(ROOT, 'k8s-fallback', 'overlays', 'prod');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Failure lines per overlay label as printed by the script. */
  failures: Map<string, string[]>;
  passed: Set<string>;
}

function runCheck(args: string[]): Run {
  const res = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const failures = new Map<string, string[]>();
  const passed = new Set<string>();
  let current: string[] | undefined;
  for (const line of `${res.stdout}\n${res.stderr}`.split('\n')) {
    const fail = /^FAIL (.+?): \d+ problem/.exec(line);
    const ok = /^ok {3}(.+?): \d+ objects valid/.exec(line);
    if (fail) {
      current = [];
      failures.set(fail[1] as string, current);
    } else if (ok) passed.add(ok[1] as string);
    else if (line.startsWith('  - ') && current) current.push(line.slice(4));
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, failures, passed };
}

/** One defect on top of overlays/dev (or overlays/prod): extra kustomization fields and extra files. */
interface Broken {
  name: string;
  base?: 'dev' | 'prod';
  kustomization: string;
  files?: Record<string, string>;
  expect: RegExp[];
}

/** A strategic-merge patch setting one env entry of a Deployment's container. */
function envPatch(deployment: string, container: string, entry: string): string {
  return `
  - target: {kind: Deployment, name: ${deployment}}
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: ${deployment}}
      spec:
        template:
          spec:
            containers:
              - name: ${container}
                env:
                  - ${entry}`;
}

const BROKEN: Broken[] = [
  {
    name: 'schema-wrong-type',
    kustomization: `
patches:
  - target: {kind: Deployment, name: auth}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/ports/0/containerPort
        value: "8080"
  - target: {kind: Service, name: policy}
    patch: |-
      - op: remove
        path: /spec/ports/0/port
`,
    expect: [
      /Deployment\/auth: schema: .*containerPort must be integer/,
      /Service\/policy: schema: .*required property port/,
    ],
  },
  {
    name: 'unknown-kind',
    kustomization: 'resources: [widget.yaml]\n',
    files: { 'widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gadget}\nspec: {size: 3}\n' },
    expect: [/Widget\/gadget: no kubernetes-models schema for example\.com\/v1 Widget/],
  },
  {
    name: 'secret-with-data',
    kustomization: 'resources: [secret.yaml]\n',
    files: {
      'secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata: {name: oops}\ntype: Opaque\nstringData: {ADMIN_BOOTSTRAP_TOKEN: not-a-real-token-value}\n',
    },
    expect: [/Secret\/oops: Secret with data/],
  },
  {
    name: 'literal-secret-and-latest-image',
    kustomization: `
images:
  - name: edge-security-platform
    newTag: latest
patches:
  - target: {kind: Deployment, name: admin}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: {name: METRICS_TOKEN, value: a-literal-metrics-token}
`,
    expect: [
      /Deployment\/admin container workerd: env METRICS_TOKEN has a literal value/,
      /image "edge-security-platform:latest" must be pinned/,
    ],
  },
  {
    name: 'insecure-container',
    kustomization: `
patches:
  - target: {kind: Deployment, name: admin}
    patch: |-
      - op: remove
        path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem
  - target: {kind: Deployment, name: policy}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/securityContext/capabilities/add
        value: [NET_ADMIN]
  - target: {kind: Deployment, name: monitor}
    patch: |-
      - op: remove
        path: /spec/template/spec/containers/0/resources/limits
      - op: replace
        path: /spec/template/spec/automountServiceAccountToken
        value: true
`,
    expect: [
      /Deployment\/admin container workerd: securityContext\.readOnlyRootFilesystem must be true/,
      /Deployment\/policy container workerd: adds capabilities NET_ADMIN/,
      /Deployment\/monitor container workerd: resources\.limits\.cpu is missing/,
      /Deployment\/monitor: automountServiceAccountToken must be false/,
    ],
  },
  {
    name: 'wrong-probes',
    kustomization: `
patches:
  - target: {kind: Deployment, name: monitor}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/readinessProbe/httpGet/path
        value: /healthz
  - target: {kind: Deployment, name: pg-bridge}
    patch: |-
      - op: remove
        path: /spec/template/spec/containers/0/livenessProbe
`,
    expect: [
      /Deployment\/monitor container workerd: readinessProbe path \/healthz/,
      /Deployment\/pg-bridge container pg-bridge: no livenessProbe/,
    ],
  },
  {
    name: 'missing-hpa-and-pdb',
    kustomization: `
patches:
  - patch: |-
      $patch: delete
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: auth}
  - patch: |-
      $patch: delete
      apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata: {name: monitor}
`,
    expect: [/Worker auth: no PodDisruptionBudget/, /Worker monitor: no HorizontalPodAutoscaler/],
  },
  {
    name: 'network-open',
    kustomization: `
resources: [extra-policy.yaml]
patches:
  - patch: |-
      $patch: delete
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: default-deny-all}
`,
    files: {
      'extra-policy.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: monitor-to-auth}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: monitor}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app.kubernetes.io/name: auth}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: policy-public}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: policy}}
  policyTypes: [Ingress]
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
`,
    },
    expect: [
      /no default-deny policy/,
      /NetworkPolicy: allows monitor -> auth, which no service binding needs/,
      /NetworkPolicy: policy accepts traffic from outside the namespace/,
    ],
  },
  {
    name: 'binding-blocked',
    kustomization: `
patches:
  - target: {kind: NetworkPolicy, name: policy}
    patch: |-
      - op: replace
        path: /spec/ingress/0/from
        value: [{podSelector: {matchLabels: {app.kubernetes.io/name: admin}}}]
`,
    expect: [/NetworkPolicy: auth calls policy \(service binding\) but policy accepts no ingress from auth/],
  },
  {
    name: 'workerd-contract',
    kustomization: `
configMapGenerator:
  - name: edge-security-auth
    behavior: merge
    literals: [RATE_LIMIT_BACKEND=durable-object, NOT_A_SETTING=1]
patches:
  - target: {kind: Deployment, name: admin}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/command/4
        value: admin=0.0.0.0:9999
  - target: {kind: Service, name: policy}
    patch: |-
      - op: replace
        path: /metadata/name
        value: policy-svc
`,
    expect: [
      /Deployment\/auth: RATE_LIMIT_BACKEND must be "redis" on Kubernetes \(got "durable-object"\)/,
      /Deployment\/auth: NOT_A_SETTING \(from ConfigMap edge-security-auth-[a-z0-9]+\) never reaches the Worker/,
      /Deployment\/admin: needs --socket-addr admin=0\.0\.0\.0:8082/,
      /Worker policy: no Service named policy/,
    ],
  },
  {
    // The public Ingress must not reach the admin endpoints, /ready (a Postgres + Redis query per call) or /metrics.
    name: 'ingress-catch-all',
    kustomization: `
patches:
  - target: {kind: Ingress, name: edge-security}
    patch: |-
      - op: add
        path: /spec/rules/0/http/paths/-
        value: {path: /, pathType: Prefix, backend: {service: {name: auth, port: {name: http}}}}
      - op: add
        path: /spec/rules/-
        value:
          host: admin.localtest.me
          http:
            paths:
              - {path: /ready, pathType: Exact, backend: {service: {name: admin, port: {name: http}}}}
              - {path: /admin/keys, pathType: Prefix, backend: {service: {name: auth, port: {name: http}}}}
`,
    expect: [
      /Ingress\/edge-security: path \/ \(Prefix\) on auth\.localtest\.me exposes \/admin, \/admin\/keys\/rotate, \/ready, \/metrics publicly/,
      /Ingress\/edge-security: path \/ready \(Exact\) on admin\.localtest\.me exposes \/ready publicly/,
      /Ingress\/edge-security: path \/admin\/keys \(Prefix\) on admin\.localtest\.me exposes \/admin\/keys\/rotate publicly/,
    ],
  },
  {
    name: 'ingress-regex-and-default-backend',
    kustomization: `
patches:
  - target: {kind: Ingress, name: edge-security}
    patch: |-
      - op: add
        path: /metadata/annotations/nginx.ingress.kubernetes.io~1use-regex
        value: "true"
      - op: add
        path: /spec/defaultBackend
        value: {service: {name: auth, port: {name: http}}}
`,
    expect: [/use-regex hides which paths reach the Workers/, /a defaultBackend routes every unlisted path/],
  },
  {
    // Off Cloudflare the policy Worker's API travels the network: its token is required, on both sides, one value.
    name: 'policy-token-optional',
    kustomization: `
patches:${envPatch('policy', 'workerd', '{name: POLICY_API_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-secrets, key: POLICY_API_TOKEN, optional: true}}}')}${envPatch('admin', 'workerd', '{name: POLICY_API_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-admin-secrets, key: POLICY_API_TOKEN}}}')}
`,
    expect: [
      /Deployment\/policy: POLICY_API_TOKEN must come from a required secretKeyRef/,
      /POLICY_API_TOKEN: the Workers read it from different Secret keys/,
    ],
  },
  {
    // NetworkPolicy cannot see paths; it can at least admit only Prometheus's pods, not its whole namespace.
    name: 'metrics-scrape-namespace-wide',
    kustomization: `
patches:
  - target: {kind: NetworkPolicy, name: allow-metrics-scrape}
    patch: |-
      - op: remove
        path: /spec/ingress/0/from/0/podSelector
`,
    expect: [/NetworkPolicy\/allow-metrics-scrape: admits every pod of monitoring/],
  },
  {
    // Production: /metrics answers only with METRICS_TOKEN, so the token must exist.
    name: 'prod-metrics-token-optional',
    base: 'prod',
    kustomization: `
patches:${envPatch('monitor', 'workerd', '{name: METRICS_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-secrets, key: METRICS_TOKEN, optional: true}}}')}
`,
    expect: [/Deployment\/monitor: METRICS_TOKEN must come from a required secretKeyRef when ENVIRONMENT=production/],
  },
  {
    // The bootstrap superadmin token must be removable from the internet-facing pods, and no job may borrow it.
    name: 'bootstrap-token-permanent',
    kustomization: `
patches:${envPatch('auth', 'workerd', '{name: ADMIN_BOOTSTRAP_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-auth-secrets, key: ADMIN_BOOTSTRAP_TOKEN, optional: false}}}')}
  - target: {kind: CronJob, name: key-maintenance}
    patch: |-
      - op: replace
        path: /spec/jobTemplate/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef
        value: {name: edge-security-auth-secrets, key: ADMIN_BOOTSTRAP_TOKEN}
`,
    expect: [
      /Deployment\/auth: ADMIN_BOOTSTRAP_TOKEN must be optional/,
      /CronJob\/key-maintenance: ADMIN_TOKEN is the bootstrap admin token/,
    ],
  },
  {
    // One Redis token per Worker, and the bridge checks exactly those.
    name: 'shared-redis-token',
    kustomization: `
patches:${envPatch('policy', 'workerd', '{name: UPSTASH_REDIS_REST_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-auth-secrets, key: UPSTASH_REDIS_REST_TOKEN}}}')}${envPatch('redis-bridge', 'redis-bridge', '{name: REDIS_BRIDGE_TOKEN, valueFrom: {secretKeyRef: {name: edge-security-auth-secrets, key: UPSTASH_REDIS_REST_TOKEN}}}')}
`,
    expect: [
      /Deployment\/(policy|auth): UPSTASH_REDIS_REST_TOKEN is edge-security-auth-secrets\/UPSTASH_REDIS_REST_TOKEN, the same Secret key as/,
      /Deployment\/redis-bridge: REDIS_BRIDGE_TOKEN \(one token for all Workers\) is no longer read/,
      /Deployment\/redis-bridge: REDIS_BRIDGE_TOKEN_POLICY must come from edge-security-auth-secrets/,
    ],
  },
  {
    name: 'kustomize-error',
    kustomization: 'resources: [missing-file.yaml]\n',
    expect: [/kubectl kustomize .* failed/],
  },
];

describe('npm run k8s:check', () => {
  let tmp: string;
  const dirs = new Map<string, string>();
  let run: Run;
  let control: string[];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'k8s-check-'));
    for (const b of BROKEN) {
      const dir = join(tmp, b.name);
      mkdirSync(dir);
      // kustomize refuses absolute paths to a base, so the overlay points at overlays/dev (or prod) relatively.
      const base = relative(dir, b.base === 'prod' ? PROD : DEV);
      const head = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${base}]\n`;
      let body = b.kustomization;
      // A second `resources:` key would be invalid YAML: merge it into the first list.
      const extra = /^resources: \[(.+)\]\n/m.exec(body);
      const resources = extra ? `resources: [${base}, ${extra[1]}]\n` : '';
      if (extra) body = body.replace(extra[0], '');
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        (resources ? head.replace(/^resources: .*\n/m, resources) : head) + body,
      );
      for (const [file, text] of Object.entries(b.files ?? {})) writeFileSync(join(dir, file), text);
      dirs.set(b.name, dir);
    }
    run = runCheck([DEV, PROD, ...dirs.values()].flatMap((d) => ['--overlay', d]));
    control = [...(run.failures.get(relative(ROOT, DEV)) ?? []), ...(run.failures.get(relative(ROOT, PROD)) ?? [])];
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('passes on every overlay in k8s-fallback/overlays', () => {
    const res = runCheck([]);
    const report = `${res.stdout}\n${res.stderr}`;
    expect(res.failures, report).toEqual(new Map());
    expect([...res.passed].sort(), report).toEqual(['k8s-fallback/overlays/dev', 'k8s-fallback/overlays/prod']);
    expect(res.status, report).toBe(0);
  });

  it('exits non-zero when any overlay fails', () => {
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/k8s-check: \d+ of \d+ overlay\(s\) failed/);
  });

  for (const b of BROKEN) {
    it(`fails on a broken overlay: ${b.name}`, () => {
      const dir = dirs.get(b.name) as string;
      const failures = run.failures.get(dir);
      expect(failures, `${b.name} was not reported as failing:\n${run.stdout}\n${run.stderr}`).toBeDefined();
      const fresh = (failures ?? []).filter((f) => !control.includes(f));
      for (const pattern of b.expect) {
        expect(
          fresh.some((f) => pattern.test(f)),
          `expected ${pattern} among:\n${fresh.join('\n')}`,
        ).toBe(true);
      }
    });
  }
});
