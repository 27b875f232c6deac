/**
 * Small networking helpers: "host:port" parsing that understands bracketed IPv6, free-port
 * selection and promise wrappers around listen/close.
 */
import net from 'node:net';
import type { Server } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses "host:port", "[v6]:port" or an unbracketed "v6:port" (the Neon driver builds its
 * `address` parameter by plain concatenation, so an IPv6 host arrives without brackets; the
 * port is always present, so splitting at the last colon is unambiguous).
 * Returns null for anything that is not a usable address.
 */
export function parseHostPort(text: string): HostPort | null {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return null;
    host = text.slice(1, end);
    portText = text.slice(end + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  // Hostnames and IP literals only: no whitespace, paths, credentials or empty labels.
  if (host.length === 0 || host.length > 253 || !/^[A-Za-z0-9._:%-]+$/.test(host)) return null;
  return { host, port };
}

/** Canonical "host:port" form used for allow-list comparisons (lower case, IPv6 bracketed). */
export function formatHostPort(host: string, port: number): string {
  const h = host.toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/** The address a local client should dial for a server bound to `host` (wildcards → loopback). */
export function dialableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Asks the kernel for a currently free TCP port on `host`. There is an unavoidable window
 * between closing this probe and the real server binding; callers that spawn servers retry
 * on "address in use".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, host, 0);
  await closeServer(server);
  return port;
}

export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
