/**
 * Stands in for Node's `crypto` module in the Worker bundles (wrangler.toml `[alias]`). subtls, the TLS library
 * the Neon driver uses for Postgres TLS, falls back to `import("crypto")` where no global `crypto` exists; workerd
 * always has one, so the fallback never runs, but the bundler must still resolve the name in a Worker without
 * nodejs_compat. The alias covers the bare name only, never `node:crypto`. A Worker with nodejs_compat (auth) has
 * the real module and no alias.
 */
export const webcrypto = crypto;
export default { webcrypto };
