/**
 * Round-robin HTTP reverse proxy for the replica simulation: what a Kubernetes Service (kube-proxy) plus an
 * ingress do in front of several auth pods, reduced to what the test needs to observe.
 *
 * - Each request goes to the next upstream in turn; the answer carries `x-upstream: <name>` so a test can tell
 *   which replica served it.
 * - A request is re-sent to the next upstream only when the connection could not be made (ECONNREFUSED and the
 *   like): then the upstream never saw it, so retrying a POST cannot duplicate it. A failure after the request
 *   went out answers 502, as nginx does for non-idempotent requests.
 * - An upstream that refused a connection is skipped until a background `GET /health` succeeds again, which is
 *   how a restarted replica rejoins.
 */
import {
  request as httpRequest,
  type IncomingMessage,
  createServer,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  name: string;
  host: string;
  port: number;
}

interface UpstreamState extends Upstream {
  up: boolean;
  served: number;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

export class RoundRobinProxy {
  private readonly upstreams: UpstreamState[];
  private next = 0;
  private server: Server | undefined;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  /** Requests answered 502 because an upstream failed after the request was sent. */
  failedAfterSend = 0;
  /** Requests moved to another upstream because the first could not be reached. */
  retried = 0;

  constructor(
    upstreams: Upstream[],
    private readonly healthIntervalMs = 100,
  ) {
    this.upstreams = upstreams.map((u) => ({ ...u, up: true, served: 0 }));
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('proxy not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  /** How many requests each upstream answered. */
  served(): Record<string, number> {
    return Object.fromEntries(this.upstreams.map((u) => [u.name, u.served]));
  }

  isUp(name: string): boolean {
    return this.upstreams.find((u) => u.name === name)?.up ?? false;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.healthTimer = setInterval(() => void this.probeDown(), this.healthIntervalMs);
    return this.url;
  }

  async stop(): Promise<void> {
    clearInterval(this.healthTimer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private pick(exclude: Set<string>): UpstreamState | undefined {
    for (let i = 0; i < this.upstreams.length; i++) {
      const u = this.upstreams[(this.next + i) % this.upstreams.length] as UpstreamState;
      if (u.up && !exclude.has(u.name)) {
        this.next = (this.next + i + 1) % this.upstreams.length;
        return u;
      }
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    headers['content-length'] = String(body.length);
    // As ingress-nginx does by default: the client address it sees, overwriting anything the client sent.
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';

    const tried = new Set<string>();
    for (;;) {
      const upstream = this.pick(tried);
      if (!upstream) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'no_upstream', tried: [...tried] }));
        return;
      }
      tried.add(upstream.name);
      const outcome = await this.forward(upstream, req, headers, body, res);
      if (outcome === 'done') return;
      if (outcome === 'connect-failed') {
        upstream.up = false;
        this.retried++;
        continue;
      }
      this.failedAfterSend++;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json', 'x-upstream': upstream.name });
        res.end(JSON.stringify({ error: 'upstream_failed', upstream: upstream.name }));
      } else res.destroy();
      return;
    }
  }

  private forward(
    upstream: UpstreamState,
    req: IncomingMessage,
    headers: Record<string, string | string[]>,
    body: Buffer,
    res: ServerResponse,
  ): Promise<'done' | 'connect-failed' | 'failed-after-send'> {
    return new Promise((resolve) => {
      let connected = false;
      const out = httpRequest(
        { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers, agent: false },
        (up) => {
          const responseHeaders: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(up.headers)) {
            if (v !== undefined && !HOP_BY_HOP.has(k)) responseHeaders[k] = v;
          }
          responseHeaders['x-upstream'] = upstream.name;
          res.writeHead(up.statusCode ?? 502, responseHeaders);
          up.pipe(res);
          up.on('end', () => {
            upstream.served++;
            resolve('done');
          });
          up.on('error', () => resolve('failed-after-send'));
        },
      );
      out.on('socket', (socket) => socket.on('connect', () => (connected = true)));
      out.on('error', (err: NodeJS.ErrnoException) => {
        resolve(!connected && CONNECT_ERRORS.has(err.code ?? '') ? 'connect-failed' : 'failed-after-send');
      });
      out.end(body);
    });
  }

  private async probeDown(): Promise<void> {
    await Promise.all(
      this.upstreams
        .filter((u) => !u.up)
        .map(async (u) => {
          try {
            const res = await fetch(`http://${u.host}:${u.port}/health`, { signal: AbortSignal.timeout(500) });
            if (res.ok) u.up = true;
          } catch {
            // still down
          }
        }),
    );
  }
}
