#!/usr/bin/env node
// The key-maintenance CronJob's program: one authenticated POST to the auth Worker's maintenance endpoint, which
// does what the Cloudflare cron trigger does (pre-publish, promote and retire signing keys). Exit status is the
// Job's result: 0 only on a 2xx answer, so Kubernetes retries (backoffLimit) and alerts on failures.
const url = process.env.MAINTENANCE_URL;
const token = process.env.ADMIN_TOKEN;
const timeoutMs = Number(process.env.MAINTENANCE_TIMEOUT_MS ?? 30_000);

function log(entry) {
  console.log(JSON.stringify({ time: new Date().toISOString(), job: 'key-maintenance', ...entry }));
}

function describe(err) {
  const cause = err?.cause;
  const detail = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
  return detail ? `${err.message}: ${detail}` : String(err?.message ?? err);
}

async function main() {
  if (!url || !token) {
    log({ level: 'error', msg: 'MAINTENANCE_URL and ADMIN_TOKEN must be set' });
    return 2;
  }
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    log({ level: 'error', msg: 'maintenance request failed', url, error: describe(err) });
    return 1;
  }
  // The answer names key ids and states, never key material; cap it anyway so a misbehaving server cannot flood logs.
  const body = (await res.text().catch(() => '')).slice(0, 4096);
  let parsed = body;
  try {
    parsed = JSON.parse(body);
  } catch {}
  const ok = res.status >= 200 && res.status < 300;
  log({ level: ok ? 'info' : 'error', msg: 'maintenance answered', url, status: res.status, body: parsed });
  return ok ? 0 : 1;
}

process.exitCode = await main();
