/**
 * Runs Workers on loopback the way the Kubernetes manifests run them: the command line, probe paths and
 * configuration are read from the rendered overlay (`kubectl kustomize`), and only what a pod gets from the cluster
 * is substituted: listen address, peer Service addresses (`--external-addr peer-<name>=...`), the emptyDir folder,
 * the data-plane URLs and the Secret values.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WORKERD_BIN } from '../../scripts/lib/platform.mjs';
import { type K8sObject, renderOverlay } from '../../scripts/k8s-check.mjs';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export interface PodSpecView {
  /** The container's command + args, as in the manifest. */
  command: string[];
  readinessPath: string;
  livenessPath: string;
  /** Non-secret variables: ConfigMaps (envFrom) and literal env values. */
  config: Record<string, string>;
  /** Variables that come from Secrets: env name → `secret-name/key`. */
  secretEnv: Record<string, string>;
  /** The Durable Object storage folder (an emptyDir in the pod), when the Worker has Durable Objects. */
  doStorageMount?: string;
}

/** The workerd container of Deployment `name` in a rendered overlay. */
export function workerPodSpec(objects: K8sObject[], name: string): PodSpecView {
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!dep) throw new Error(`no Deployment ${name} in the rendering`);
  const container = dep.spec.template.spec.containers[0];
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((c) => [c.metadata.name, c]));
  const config: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  for (const src of container.envFrom ?? []) {
    const cm = configMaps.get(src.configMapRef?.name);
    if (!cm) throw new Error(`ConfigMap ${src.configMapRef?.name} missing`);
    Object.assign(config, cm.data ?? {});
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) config[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      secretEnv[e.name] = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
    } else if (e.valueFrom?.configMapKeyRef) {
      config[e.name] = configMaps.get(e.valueFrom.configMapKeyRef.name)?.data?.[e.valueFrom.configMapKeyRef.key];
    }
  }
  const command = [...(container.command ?? []), ...(container.args ?? [])].map(String);
  const dirArg = command.find((a) => a.startsWith('do-storage='));
  return {
    command,
    readinessPath: container.readinessProbe?.httpGet?.path,
    livenessPath: container.livenessProbe?.httpGet?.path,
    config,
    secretEnv,
    doStorageMount: dirArg?.slice('do-storage='.length),
  };
}

export function renderDev(): K8sObject[] {
  return renderOverlay(join(ROOT, 'k8s-fallback', 'overlays', 'dev'));
}

/** True when every file the configs in `appRoot/workerd` embed exists and each Worker folder has its bundle. */
function consistent(appRoot: string): boolean {
  const configs = readdirSync(join(appRoot, 'workerd')).filter((f) => f.endsWith('.capnp'));
  if (configs.length === 0) return false;
  for (const file of configs) {
    const text = readFileSync(join(appRoot, 'workerd', file), 'utf8');
    for (const m of text.matchAll(/embed "([^"]+)"/g)) {
      if (!existsSync(join(appRoot, 'workerd', m[1] as string))) return false;
    }
  }
  return readdirSync(join(appRoot, 'workers')).every((w) => existsSync(join(appRoot, 'workers', w, 'index.js')));
}

/**
 * Copies what the Containerfile puts in /app (generated configs and Worker bundles, same relative layout) into
 * `appRoot`, so a run is not disturbed by a concurrent `npm run build` rewriting dist/ (an image does not change
 * under a running pod either). A copy taken in the middle of such a build is detected and taken again.
 */
export async function snapshotImage(appRoot: string, timeoutMs = 60_000): Promise<string> {
  const dist = join(ROOT, 'dist');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    rmSync(appRoot, { recursive: true, force: true });
    for (const part of ['workerd', 'workers']) {
      if (!existsSync(join(dist, part))) throw new Error(`dist/${part} is missing: run \`npm run build:workerd\``);
      cpSync(join(dist, part), join(appRoot, part), { recursive: true });
    }
    if (consistent(appRoot)) return appRoot;
    if (Date.now() > deadline)
      throw new Error('dist/ stayed inconsistent (a build in progress?): run `npm run build:workerd`');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The manifest's command translated to this machine: the image paths (/app/bin/workerd, /app/workerd/*.capnp) to
 * the npm binary and the snapshot of dist/, the pod's listen address to a loopback port, the emptyDir to a temp folder, and the
 * cluster's Service DNS names of the peers to loopback addresses.
 */
export function localCommand(
  spec: PodSpecView,
  opts: { name: string; appRoot: string; listen: string; doStorageDir?: string; peers: Record<string, string> },
): string[] {
  const out: string[] = [];
  for (const arg of spec.command) {
    if (arg === '/app/bin/workerd') out.push(WORKERD_BIN);
    else if (arg.startsWith('/app/workerd/'))
      out.push(join(opts.appRoot, 'workerd', arg.slice('/app/workerd/'.length)));
    else if (arg.startsWith(`${opts.name}=0.0.0.0:`)) out.push(`${opts.name}=${opts.listen}`);
    else if (arg.startsWith('do-storage=')) {
      if (!opts.doStorageDir) throw new Error('the manifest mounts Durable Object storage: doStorageDir is required');
      out.push(`do-storage=${opts.doStorageDir}`);
    } else out.push(arg);
  }
  for (const [peer, addr] of Object.entries(opts.peers)) out.push('--external-addr', `peer-${peer}=${addr}`);
  return out;
}

export class WorkerdProcess {
  child: ChildProcess | undefined;
  private tail: string[] = [];
  private exited: Promise<unknown> = Promise.resolve();

  constructor(
    readonly label: string,
    readonly argv: string[],
    readonly env: Record<string, string>,
    readonly url: string,
    readonly doStorageDir?: string,
  ) {}

  async start(timeoutMs = 20_000): Promise<void> {
    if (this.doStorageDir) mkdirSync(this.doStorageDir, { recursive: true });
    const [cmd, ...args] = this.argv as [string, ...string[]];
    // A pod sees only its own environment: nothing of the test runner's leaks into fromEnvironment bindings.
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.tail.push(line);
        if (this.tail.length > 300) this.tail.shift();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.label}: workerd exited (${child.exitCode ?? child.signalCode})\n${this.logs()}`);
      }
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(500) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.stop('SIGKILL');
        throw new Error(`${this.label}: /health did not answer within ${timeoutMs} ms\n${this.logs()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL models a crashed pod / node loss: no graceful shutdown, no flush. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  logs(): string {
    return this.tail.join('\n');
  }
}
