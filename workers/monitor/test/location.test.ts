import { describe, expect, it } from 'vitest';
import { GeoHeaderConfigError, parseGeoHeaderNames, requestLocation } from '../src/events/domain/location.js';

const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;

describe('request location', () => {
  it('reads request.cf on Cloudflare', () => {
    const cf = { colo: 'FRA', latitude: '50.11090', longitude: '8.68213', country: 'DE' };
    expect(requestLocation(cf, headers({}), null)).toEqual({
      latitude: 50.1109,
      longitude: 8.68213,
      country: 'DE',
      source: 'cf',
    });
  });

  it('ignores location headers on Cloudflare, and request.cf without colo (self-hosted workerd)', () => {
    const names = parseGeoHeaderNames('latitude=x-geo-lat,longitude=x-geo-lon');
    const h = headers({ 'x-geo-lat': '1', 'x-geo-lon': '2' });
    expect(requestLocation({ colo: 'FRA' }, h, names)).toBeNull();
    expect(requestLocation({ clientIp: '10.0.0.1', latitude: '5', longitude: '5' }, h, names)).toMatchObject({
      latitude: 1,
      longitude: 2,
      source: 'header',
    });
  });

  it('reads only the configured ingress headers, and nothing when none are configured', () => {
    const names = parseGeoHeaderNames('latitude=X-Geo-Lat, longitude=x-geo-lon, country=x-geo-country');
    expect(names).toEqual({ latitude: 'x-geo-lat', longitude: 'x-geo-lon', country: 'x-geo-country' });
    const h = headers({ 'x-geo-lat': '-33.8688', 'x-geo-lon': '151.2093', 'x-geo-country': 'au' });
    expect(requestLocation(undefined, h, names)).toEqual({
      latitude: -33.8688,
      longitude: 151.2093,
      country: 'AU',
      source: 'header',
    });
    expect(requestLocation(undefined, h, null)).toBeNull();
    expect(requestLocation(undefined, headers({ 'x-geo-lat': '100', 'x-geo-lon': '0' }), names)).toBeNull();
    expect(requestLocation(undefined, headers({ 'x-geo-lat': '1e2', 'x-geo-lon': '0' }), names)).toBeNull();
  });

  it('parses GEO_HEADERS strictly', () => {
    expect(parseGeoHeaderNames(undefined)).toBeNull();
    expect(parseGeoHeaderNames('  ')).toBeNull();
    for (const bad of [
      'latitude=a',
      'lat=a,longitude=b',
      'latitude=a,longitude=b,latitude=c',
      'latitude=a b,longitude=c',
    ])
      expect(() => parseGeoHeaderNames(bad), bad).toThrow(GeoHeaderConfigError);
  });
});
