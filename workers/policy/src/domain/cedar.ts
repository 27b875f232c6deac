/**
 * The Cedar engine (`@cedar-policy/cedar-wasm` 4.13, its `web` build).
 *
 * The package's default (ESM) entry imports its .wasm as a WebAssembly ES module (instance exports), which
 * wrangler does not support: wrangler bundles a .wasm import as a compiled `WebAssembly.Module`. So we import
 * the module ourselves and instantiate it synchronously with the `web` build's `initSync`, once per isolate,
 * on first use (not at import time, so a cold start that never decides pays nothing).
 */
import * as cedar from '@cedar-policy/cedar-wasm/web';
// Not reachable through the package's `exports` map, hence the relative path. wrangler (and the vitest pool)
// turn a .wasm import into a compiled WebAssembly.Module default export; the package's own .d.ts describes the
// instance exports instead.
// @ts-expect-error TS1192: see above
import cedarWasm from '../../../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm';

export type {
  AuthorizationAnswer,
  CedarValueJson,
  DetailedError,
  EntityJson,
  PolicyJson,
  SchemaJson,
  StatefulAuthorizationCall,
  ValidationAnswer,
} from '@cedar-policy/cedar-wasm/web';

let ready = false;

/** The initialised engine. Cheap after the first call. */
export function engine(): typeof cedar {
  if (!ready) {
    cedar.initSync({ module: cedarWasm as WebAssembly.Module });
    ready = true;
  }
  return cedar;
}
