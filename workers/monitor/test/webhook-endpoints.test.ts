import { describe, expect, it } from 'vitest';
import { applyFinding, DEDUP_DEFAULTS } from '../src/alerts/domain/deduplicate.js';
import type { Finding } from '../src/detectors/domain/finding.js';
import {
  checkEndpointUrl,
  EndpointUrlError,
  endpointsFor,
  type WebhookEndpoint,
} from '../src/webhooks/domain/endpoint.js';
import { alertWebhook, MAX_PAYLOAD_BYTES } from '../src/webhooks/domain/payload.js';

describe('webhook endpoint URLs', () => {
  it('accepts public https URLs', () => {
    expect(checkEndpointUrl('https://hooks.example.com/alerts?team=sec')).toBe(
      'https://hooks.example.com/alerts?team=sec',
    );
    expect(checkEndpointUrl('https://93.184.215.14:8443/x')).toBe('https://93.184.215.14:8443/x');
    expect(checkEndpointUrl('https://[2606:4700::1111]/x')).toBe('https://[2606:4700::1111]/x');
    expect(checkEndpointUrl('http://hooks.example.com/', { allowHttp: true })).toBe('http://hooks.example.com/');
  });

  it('refuses addresses inside the platform network and other SSRF shapes', () => {
    for (const bad of [
      'http://hooks.example.com/',
      'ftp://hooks.example.com/',
      'https://user:pass@hooks.example.com/',
      'https://127.0.0.1/',
      'https://10.1.2.3/',
      'https://172.20.0.1/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
      'https://[::1]/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[64:ff9b::a00:1]/',
      'https://[2002:a00:1::]/',
      'https://2130706433/',
      'https://0x7f.0.0.1/',
      'https://localhost/',
      'https://api.localhost/',
      'https://redis/',
      'https://auth.default.svc/',
      'https://auth.default.svc.cluster.local/',
      'https://metadata.google.internal/',
      'https://hooks.example.com/#frag',
      'not a url',
    ])
      expect(() => checkEndpointUrl(bad), bad).toThrow(EndpointUrlError);
  });
});

const finding = (severity: Finding['severity']): Finding => ({
  detector: 'token_reuse',
  kind: 'token_reuse.refresh_token',
  severity,
  dedupKey: 'token_reuse.refresh_token|family_id=f1',
  subject: { family_id: 'f1' },
  summary: 'reused',
  at: Date.UTC(2026, 5, 1),
  eventIds: ['e1'],
  evidence: { client_id: 'web' },
});

describe('alert webhooks', () => {
  it('announces creation and escalation only, with stable message ids', () => {
    const created = applyFinding(null, finding('high'), DEDUP_DEFAULTS, 0, () => 'a-1');
    const hook = alertWebhook(created, Date.UTC(2026, 5, 1, 0, 0, 1));
    expect(hook?.type).toBe('alert.created');
    expect(hook?.msgId).toBe('msg_a-1_c1');
    expect(JSON.parse(hook?.payload ?? '')).toEqual({
      type: 'alert.created',
      timestamp: '2026-06-01T00:00:01.000Z',
      data: {
        id: 'a-1',
        kind: 'token_reuse.refresh_token',
        detector: 'token_reuse',
        severity: 'high',
        status: 'open',
        summary: 'reused',
        subject: { family_id: 'f1' },
        count: 1,
        first_seen: '2026-06-01T00:00:00.000Z',
        last_seen: '2026-06-01T00:00:00.000Z',
        evidence: { client_id: 'web' },
        event_ids: ['e1'],
      },
    });
    const repeat = applyFinding(created.alert, finding('high'), DEDUP_DEFAULTS, 0, () => 'x');
    expect(alertWebhook(repeat, 0)).toBeNull();
    const worse = applyFinding(repeat.alert, finding('critical'), DEDUP_DEFAULTS, 0, () => 'x');
    expect(alertWebhook(worse, 0)?.msgId).toBe('msg_a-1_e3');
  });

  it('stays under the payload size limit by dropping event ids when needed', () => {
    const big = { ...finding('high'), eventIds: Array.from({ length: 50 }, (_, i) => `${'e'.repeat(400)}${i}`) };
    const hook = alertWebhook(
      applyFinding(null, big, DEDUP_DEFAULTS, 0, () => 'a-2'),
      0,
    );
    expect(new TextEncoder().encode(hook?.payload).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(JSON.parse(hook?.payload ?? '').data.event_ids).toBeUndefined();
  });

  it('selects enabled endpoints subscribed to the type at or above their severity floor', () => {
    const ep = (id: string, extra: Partial<WebhookEndpoint>): WebhookEndpoint => ({
      id,
      url: 'https://hooks.example.com/',
      secrets: [],
      types: [],
      minSeverity: 'low',
      ...extra,
    });
    const endpoints = [
      ep('all', {}),
      ep('critical-only', { minSeverity: 'critical' }),
      ep('escalations', { types: ['alert.escalated'] }),
      ep('off', { disabled: { at: 0, reason: '410 Gone' } }),
    ];
    expect(endpointsFor(endpoints, 'alert.created', 'high').map((e) => e.id)).toEqual(['all']);
    expect(endpointsFor(endpoints, 'alert.escalated', 'critical').map((e) => e.id)).toEqual([
      'all',
      'critical-only',
      'escalations',
    ]);
  });
});
