import { describe, expect, it } from 'vitest';
import { matchRedirectUri, redirectUriProblem } from '../../src/authorize/domain/redirect-uri.js';

describe('redirect URI matching', () => {
  const registered = [
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=a',
    'com.example.app:/oauth2redirect',
  ];

  it('matches registered URIs exactly', () => {
    for (const uri of registered) expect(matchRedirectUri(uri, registered)).toBe(uri);
  });

  it('refuses every near miss', () => {
    const misses = [
      'https://app.example.com/callback/', // trailing slash
      'https://app.example.com/Callback', // path case
      'https://APP.example.com/callback', // host case (the browser would normalise; we do not)
      'HTTPS://app.example.com/callback', // scheme case
      'http://app.example.com/callback', // downgrade
      'https://app.example.com:443/callback', // explicit default port
      'https://app.example.com:8443/callback', // other port on a non-loopback host
      'https://app.example.com./callback', // trailing dot
      'https://attacker@app.example.com/callback', // userinfo
      'https://app.example.com@attacker.example/callback', // userinfo the other way round
      'https://app.example.com/callback?x=1', // extra query
      'https://app.example.com/callback#frag', // fragment
      'https://app.example.com/callback%2F..%2Fadmin', // encoded traversal
      'https://app.example.com/callback/../admin', // traversal
      'https://app.example.com/%63allback', // percent-encoded letter
      'https://app.example.com/callback%00', // NUL
      'https://app.example.com/callback\\..\\admin', // backslashes
      'https://app.example.com\\@attacker.example/callback',
      'https://app.example.com.attacker.example/callback', // suffix
      'https://attacker.example/https://app.example.com/callback',
      'https://аpp.example.com/callback', // Cyrillic а (IDN homograph)
      'https://xn--pp-8kc.example.com/callback', // its punycode
      'https://app.example.com/cb?tenant=b',
      'https://app.example.com/cb?tenant=a&tenant=b',
      'https://app.example.com/cb', // registered with a query; the query is part of the match
      ' https://app.example.com/callback',
      'https://app.example.com/callback ',
      'https://app.example.com/callback\n',
      'com.example.app:/oauth2redirect/',
      'com.example.app://oauth2redirect',
      'COM.EXAMPLE.APP:/oauth2redirect',
      '//app.example.com/callback',
      '/callback',
      '',
    ];
    for (const uri of misses) expect(matchRedirectUri(uri, registered), uri).toBeUndefined();
    expect(matchRedirectUri(undefined, registered)).toBeUndefined();
    expect(matchRedirectUri(['https://app.example.com/callback'], registered)).toBeUndefined();
  });

  it('lets loopback redirects use any port, and nothing else vary (RFC 8252 §7.3)', () => {
    const native = ['http://127.0.0.1/callback', 'http://[::1]:8000/cb?app=1', 'http://127.0.0.1/'];
    expect(matchRedirectUri('http://127.0.0.1:51234/callback', native)).toBe('http://127.0.0.1:51234/callback');
    expect(matchRedirectUri('http://127.0.0.1/callback', native)).toBe('http://127.0.0.1/callback');
    expect(matchRedirectUri('http://[::1]:1/cb?app=1', native)).toBe('http://[::1]:1/cb?app=1');
    expect(matchRedirectUri('http://127.0.0.1:9', native)).toBe('http://127.0.0.1:9');
    for (const miss of [
      'http://127.0.0.1:51234/callback/',
      'http://127.0.0.1:51234/Callback',
      'http://127.0.0.1:51234/callback?x=1',
      'http://127.0.0.1:51234/callback#x',
      'http://127.0.0.1:0/callback',
      'http://127.0.0.1:65536/callback',
      'http://127.0.0.1:051234/callback', // leading zero
      'http://127.0.0.1:/callback',
      'http://127.0.0.2:5000/callback', // another loopback address is not registered
      'http://127.1:5000/callback', // shorthand of 127.0.0.1
      'http://2130706433:5000/callback', // decimal form
      'http://0x7f000001:5000/callback',
      'http://localhost:5000/callback',
      'http://[::1]:5000/callback', // the other loopback family was registered with another path
      'http://[0:0:0:0:0:0:0:1]:8000/cb?app=1',
      'https://127.0.0.1:5000/callback',
      'http://user@127.0.0.1:5000/callback',
      'http://127.0.0.1:5000@attacker.example/callback',
      'http://127.0.0.1:5000/callback\\..\\x',
      'http://127.0.0.1.attacker.example:5000/callback',
    ]) {
      expect(matchRedirectUri(miss, native), miss).toBeUndefined();
    }
  });

  it('gives non-loopback http no port freedom', () => {
    expect(matchRedirectUri('http://app.example.com:81/cb', ['http://app.example.com/cb'])).toBeUndefined();
  });
});

describe('redirect URI registration', () => {
  it('accepts https for web clients on real hosts', () => {
    for (const ok of [
      'https://app.example.com/callback',
      'https://app.example.com/cb?tenant=a',
      'https://app.example.com:8443/cb',
    ]) {
      expect(redirectUriProblem(ok, 'web'), ok).toBeUndefined();
    }
  });

  it('refuses http, localhost, loopback and custom schemes for web clients', () => {
    for (const bad of [
      'http://app.example.com/cb',
      'https://localhost/cb',
      'https://app.localhost/cb',
      'https://127.0.0.1/cb',
      'https://[::1]/cb',
      'http://127.0.0.1/cb',
      'com.example.app:/cb',
    ]) {
      expect(redirectUriProblem(bad, 'web'), bad).toBeTypeOf('string');
    }
  });

  it('accepts private-use schemes, claimed https and loopback IP literals for native clients', () => {
    for (const ok of [
      'com.example.app:/oauth2redirect',
      'com.example.app://callback',
      'https://app.example.com/native',
      'http://127.0.0.1/callback',
      'http://127.0.0.1:8080/callback',
      'http://[::1]/callback',
    ]) {
      expect(redirectUriProblem(ok, 'native'), ok).toBeUndefined();
    }
  });

  it('refuses what a native client must not use', () => {
    for (const bad of [
      'http://localhost/callback',
      'http://localhost:8080/callback',
      'http://app.example.com/callback',
      'http://192.168.1.10/callback',
      'myapp:/callback', // not reverse-domain
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
      'vbscript:x',
      'about:blank',
      'ws://127.0.0.1/cb',
    ]) {
      expect(redirectUriProblem(bad, 'native'), bad).toBeTypeOf('string');
    }
  });

  it('refuses fragments, userinfo, wildcards, relative and non-canonical forms for every type', () => {
    for (const type of ['web', 'native'] as const) {
      for (const bad of [
        'https://app.example.com/cb#x',
        'https://app.example.com/cb#',
        'https://user:pass@app.example.com/cb',
        'https://user@app.example.com/cb',
        'https://*.example.com/cb',
        '/callback',
        'app.example.com/callback',
        'https://APP.example.com/cb', // canonical is lower case
        'https://app.example.com', // canonical has the trailing slash
        'https://app.example.com:443/cb', // canonical drops the default port
        'https://app.example.com/a/../cb', // canonical resolves dot segments
        'https://аpp.example.com/cb', // canonical is punycode: the homograph shows up
        'https://app.example.com/c b',
        ` https://app.example.com/cb`,
        `https://app.example.com/${'a'.repeat(2000)}`,
        '',
      ]) {
        expect(redirectUriProblem(bad, type), `${type} ${bad}`).toBeTypeOf('string');
      }
      expect(redirectUriProblem(42, type)).toBeTypeOf('string');
    }
    expect(redirectUriProblem('https://APP.example.com/cb', 'web')).toContain('https://app.example.com/cb');
  });
});
