/**
 * The `esp` CLI (bin/esp.mjs) from a shell against the real platform (workerd + Postgres + Redis): login, clients,
 * keys rotate, policy publish / diff / activate (and roll back), API tokens, users, alerts and the audit log, table and --json output, and the exit
 * codes: 0 done, 1 the API refused, 2 usage, 3 not reachable or not logged in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { basicHeader, eventually, register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

let tp: TokenPlatform;
const dir = mkdtempSync(join(tmpdir(), 'esp-cli-'));
const config = join(dir, 'config.json');

function esp(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'esp.mjs'), ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, ESP_CONFIG: config, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  tp = await startTokenPlatform();
}, 180_000);

afterAll(async () => {
  await tp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('esp', () => {
  it('needs a login first (exit 3), and refuses a wrong credential at login (exit 1)', async () => {
    expect((await esp(['clients'])).code).toBe(3);
    const bad = await esp(['login', '--url', tp.platform.urls.admin, '--token', 'not-a-valid-admin-token-xyz']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('401');
  });

  it('logs in with a token and keeps it in a 0600 file', async () => {
    const r = await esp(['login', '--url', tp.platform.urls.admin, '--token', tp.adminToken]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
  });

  it('creates, lists, updates, disables and deletes clients', async () => {
    const created = await esp([
      'clients',
      'create',
      '--name',
      'cli batch',
      '--scope',
      'read',
      '--rate-limit',
      '50/5',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    expect(client.client_secret).toBeTruthy();

    const table = await esp(['clients', '--search', 'cli batch']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CLIENT ID\s+NAME\s+STATUS/);
    expect(table.stdout).toContain(client.client_id);
    expect(table.stdout).toContain('50/5');
    expect(table.stdout).not.toContain(client.client_secret);

    const updated = await esp([
      'clients',
      'update',
      client.client_id,
      '--scope',
      'read write',
      '--first-party',
      '--json',
    ]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ scope: 'read write', first_party: true });
    const disabled = await esp(['clients', 'disable', client.client_id, '--json']);
    expect(JSON.parse(disabled.stdout).status).toBe('disabled');
    const rotated = await esp(['clients', 'rotate-secret', client.client_id]);
    expect(rotated.stdout).toContain('shown once');
    expect((await esp(['clients', 'delete', client.client_id])).code).toBe(0);
    const gone = await esp(['clients', 'get', client.client_id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('404');
  });

  it('lists and rotates keys', async () => {
    const rotated = await esp(['keys', 'rotate', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout).keys.length).toBeGreaterThan(0);
    const list = await esp(['keys']);
    expect(list.stdout).toMatch(/^KID\s+ALG\s+STATUS/);
    expect(list.stdout).toContain('active');
    expect((await esp(['keys', 'rotate', '--emergency'])).code).toBe(2);
  });

  it('publishes, diffs, activates and rolls back a policy version', async () => {
    const file = join(dir, 'extra.cedar');
    const active = await esp(['policy', 'show', '1']);
    writeFileSync(
      file,
      `${active.stdout}\n@id("cli-extra")\nforbid (principal, action == Action::"Admin_billing_delete", resource);\n`,
    );
    const published = await esp(['policy', 'publish', file, '--comment', 'from the cli', '--json']);
    expect(published.code, published.stderr).toBe(0);
    const version = JSON.parse(published.stdout).version as number;
    const diff = await esp(['policy', 'diff', '1', String(version)]);
    expect(diff.stdout).toContain('+@id("cli-extra")');
    expect(diff.stdout).toMatch(/\(\+\d+ -0\)/);
    expect((await esp(['policy', 'activate', String(version)])).stdout).toContain(`active version ${version} (was 1)`);
    expect((await esp(['policy', 'activate', '1'])).stdout).toContain(`active version 1 (was ${version})`);
    const list = await esp(['policy', 'list']);
    expect(list.stdout).toContain('from the cli');
    const invalid = join(dir, 'invalid.cedar');
    writeFileSync(invalid, 'permit (principal, action == Action::"no_such_action", resource);');
    const refused = await esp(['policy', 'publish', invalid]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('400');
  });

  it('creates a scoped API token that works within its scope only', async () => {
    const made = await esp([
      'tokens',
      'create',
      '--name',
      'ci',
      '--scope',
      'Admin_clients_read',
      '--ttl',
      '600',
      '--json',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const { token, id } = JSON.parse(made.stdout) as { token: string; id: string };
    expect((await esp(['clients'], { ESP_TOKEN: token })).code).toBe(0);
    const out = await esp(['keys', 'rotate'], { ESP_TOKEN: token });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('outside the scopes');
    expect((await esp(['tokens'])).stdout).toContain(id);
    expect((await esp(['tokens', 'revoke', id])).stdout).toContain(`revoked ${id}`);
  });

  it('manages users: create, list, sessions, disable, enable, one-time password reset, second factors, refresh tokens', async () => {
    const created = await esp(['users', 'create', '--email', 'cli.user@example.com', '--name', 'Cli User', '--json'], {
      ESP_USER_PASSWORD: 'a long and unusual passphrase 42',
    });
    expect(created.code, created.stderr).toBe(0);
    const user = JSON.parse(created.stdout) as { id: string; status: string };
    expect(user.status).toBe('active');
    const list = await esp(['users', '--search', 'cli.user']);
    expect(list.stdout).toMatch(/ID\s+EMAIL\s+NAME\s+STATUS/);
    expect(list.stdout).toContain(user.id);
    expect((await esp(['users', 'sessions', user.id])).stdout.trim()).toBe('(none)');
    expect((await esp(['users', 'disable', user.id])).stdout).toMatch(/status\s+disabled/);
    expect((await esp(['users', 'enable', user.id])).stdout).toMatch(/status\s+active/);
    const reset = await esp(['users', 'reset-password', user.id]);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/reset_token {2}[A-Za-z0-9_-]{43}\n\(shown once/);
    expect((await esp(['users', 'revoke-session', user.id, 'no-such-handle'])).code).toBe(1);
    // Second factors and refresh tokens (their effect on sign-in and refresh: admin-api.test.ts).
    const mfa = await esp(['users', 'remove-mfa', user.id, 'all', '--json']);
    expect(mfa.code, mfa.stderr).toBe(0);
    expect(JSON.parse(mfa.stdout)).toEqual({ user_id: user.id, removed: [], second_factor: false });
    expect((await esp(['users', 'remove-mfa', user.id, 'totp'])).stdout).toContain('removed nothing; no second factor');
    const passkey = await esp(['users', 'remove-mfa', user.id, 'passkeys', '--name', 'lost phone']);
    expect(passkey.code).toBe(1);
    expect(passkey.stderr).toContain('404');
    expect((await esp(['users', 'remove-mfa', user.id])).code).toBe(2);
    const families = await esp(['users', 'revoke-refresh-tokens', user.id]);
    expect(families.code, families.stderr).toBe(0);
    expect(families.stdout).toContain('revoked 0 refresh token families');
    expect((await esp(['users', 'get', 'not-a-uuid'])).code).toBe(1);
  });

  it('lists, acknowledges and resolves alerts, and queries the audit log', async () => {
    const victim = await register(tp, { grant_types: ['client_credentials'] });
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicHeader(victim.client_id, `wrong-${i}`),
        },
        body: 'grant_type=client_credentials',
      });
      await res.body?.cancel();
    }
    const alert = await eventually(async () => {
      const r = await esp(['alerts', '--status', 'open', '--detector', 'client_secret_guessing', '--json']);
      const alerts = (
        JSON.parse(r.stdout || '{"alerts":[]}') as { alerts: { id: string; subject: { client_id?: string } }[] }
      ).alerts;
      return alerts.find((a) => a.subject.client_id === victim.client_id);
    }, 30_000);
    expect(alert).toBeDefined();
    const table = await esp(['alerts', '--status', 'open']);
    expect(table.stdout).toMatch(/ID\s+SEVERITY\s+STATUS\s+KIND/);
    expect(table.stdout).toContain(alert!.id);
    expect((await esp(['alerts', 'acknowledge', alert!.id])).stdout).toMatch(/status\s+acknowledged/);
    expect((await esp(['alerts', 'resolve', alert!.id])).stdout).toMatch(/status\s+resolved/);
    expect((await esp(['alerts', 'resolve', alert!.id])).code).toBe(1);
    const audit = await esp([
      'audit',
      '--type',
      'client.authentication_failed',
      '--client-id',
      victim.client_id,
      '--json',
    ]);
    expect(audit.code, audit.stderr).toBe(0);
    expect((JSON.parse(audit.stdout) as { events: unknown[] }).events.length).toBeGreaterThan(0);
  });

  it('exits non-zero on usage errors and when the API is not reachable', async () => {
    expect((await esp(['frobnicate'])).code).toBe(2);
    expect((await esp(['alerts', 'frobnicate', 'x'])).code).toBe(2);
    expect((await esp(['clients', 'update', 'x'])).code).toBe(2);
    expect((await esp(['clients'], { ESP_URL: 'http://127.0.0.1:1' })).code).toBe(3);
  });
});
