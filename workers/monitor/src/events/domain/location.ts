/**
 * Where a request came from, for location-based detection. On Cloudflare the edge fills `request.cf` (latitude,
 * longitude, country). Self-hosted, only the ingress can know, so the deployment names the headers its ingress
 * sets (for example from a GeoIP database); those headers are believed only because the ingress overwrites
 * whatever the client sent. With neither, location is unknown and the impossible-travel detector is off.
 */
import type { GeoSource } from './event-types.js';

export interface Location {
  latitude: number;
  longitude: number;
  /** ISO 3166-1 alpha-2, when known. */
  country?: string;
  source: GeoSource;
}

/** Names of the ingress headers carrying location, from `GEO_HEADERS`. */
export interface GeoHeaderNames {
  latitude: string;
  longitude: string;
  country?: string;
}

export class GeoHeaderConfigError extends Error {
  readonly code = 'invalid_geo_headers';
}

const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Parses `latitude=<header>,longitude=<header>[,country=<header>]`. Empty means "no location headers". A header
 * an ingress could forward from the client unchanged (such as `cf-ipcountry` off Cloudflare) is the operator's
 * responsibility; the names are only checked for shape.
 */
export function parseGeoHeaderNames(text: string | undefined): GeoHeaderNames | null {
  if (text === undefined || text.trim() === '') return null;
  const out: Partial<Record<'latitude' | 'longitude' | 'country', string>> = {};
  for (const part of text.split(',')) {
    const [key, name, ...rest] = part.split('=').map((s) => s.trim().toLowerCase());
    if (rest.length > 0 || !key || !name || !HEADER_NAME.test(name))
      throw new GeoHeaderConfigError(`GEO_HEADERS: expected key=header-name, got "${part.trim()}"`);
    if (key !== 'latitude' && key !== 'longitude' && key !== 'country')
      throw new GeoHeaderConfigError(`GEO_HEADERS: unknown key "${key}" (latitude, longitude, country)`);
    if (out[key]) throw new GeoHeaderConfigError(`GEO_HEADERS: "${key}" given twice`);
    out[key] = name;
  }
  if (!out.latitude || !out.longitude)
    throw new GeoHeaderConfigError('GEO_HEADERS: latitude and longitude are required');
  return { latitude: out.latitude, longitude: out.longitude, ...(out.country ? { country: out.country } : {}) };
}

const COORDINATE = /^-?\d{1,3}(\.\d{1,8})?$/;

export function parseCoordinate(text: unknown, limit: 90 | 180): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && Math.abs(text) <= limit ? text : null;
  if (typeof text !== 'string' || !COORDINATE.test(text)) return null;
  const n = Number(text);
  return Math.abs(n) <= limit ? n : null;
}

export function parseCountry(text: unknown): string | undefined {
  return typeof text === 'string' && /^[A-Za-z]{2}$/.test(text) ? text.toUpperCase() : undefined;
}

/**
 * The location of a request: `request.cf` on Cloudflare's edge (recognised by `cf.colo`), else the configured
 * ingress headers, else null.
 */
export function requestLocation(
  cf: Record<string, unknown> | undefined,
  header: (name: string) => string | null | undefined,
  names: GeoHeaderNames | null,
): Location | null {
  if (cf && typeof cf.colo === 'string') {
    const latitude = parseCoordinate(cf.latitude, 90);
    const longitude = parseCoordinate(cf.longitude, 180);
    if (latitude === null || longitude === null) return null;
    const country = parseCountry(cf.country);
    return { latitude, longitude, ...(country ? { country } : {}), source: 'cf' };
  }
  if (!names) return null;
  const latitude = parseCoordinate(header(names.latitude), 90);
  const longitude = parseCoordinate(header(names.longitude), 180);
  if (latitude === null || longitude === null) return null;
  const country = names.country ? parseCountry(header(names.country)) : undefined;
  return { latitude, longitude, ...(country ? { country } : {}), source: 'header' };
}
