/**
 * A throwaway certificate authority for TLS tests, made with the machine's `openssl`: P-256 keys, a CA whose key
 * usage includes digitalSignature (subtls requires it of every signing certificate), and server certificates with
 * the serverAuth extended key usage and DNS subjectAltNames.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EXTENSIONS = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TestCa {
  /** PEM of the CA certificate (what a client trusts). */
  certPem: string;
  /** Issues a certificate for `dnsNames`; returns the paths of the PEM certificate and key. */
  issueServer(name: string, dnsNames: string[]): { certFile: string; keyFile: string };
}

export function createTestCa(dir: string, name: string): TestCa {
  const config = join(dir, `${name}.cnf`);
  writeFileSync(config, EXTENSIONS);
  const caKey = join(dir, `${name}-ca.key`);
  const caCert = join(dir, `${name}-ca.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    `/CN=${name} test CA`,
    '-days',
    '2',
    '-config',
    config,
    '-extensions',
    'ca',
    '-out',
    caCert,
  ]);
  return {
    certPem: readFileSync(caCert, 'utf8'),
    issueServer(server, dnsNames) {
      const keyFile = join(dir, `${server}.key`);
      const csr = join(dir, `${server}.csr`);
      const certFile = join(dir, `${server}.crt`);
      const ext = join(dir, `${server}.cnf`);
      writeFileSync(ext, `${EXTENSIONS}subjectAltName = ${dnsNames.map((d) => `DNS:${d}`).join(', ')}\n`);
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
      openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${dnsNames[0]}`, '-config', ext, '-out', csr]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        ext,
        '-extensions',
        'server',
        '-out',
        certFile,
      ]);
      return { certFile, keyFile };
    },
  };
}

/**
 * Postgres refuses a key file others can read; when the tests run as root the server runs as the `postgres` OS
 * user, which must own it.
 */
export function handKeyToPostgres(keyFile: string, certFile: string): void {
  chmodSync(keyFile, 0o600);
  chmodSync(certFile, 0o644);
  if (process.getuid?.() !== 0) return;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(keyFile, id('-u'), id('-g'));
}
