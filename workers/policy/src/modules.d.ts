// Module types for the non-JS files the policy Worker imports. wrangler bundles them as separate modules
// (see [[rules]] in wrangler.toml); the vitest pool maps the same globs.
declare module '*.cedar' {
  const text: string;
  export default text;
}

declare module '*.cedarschema' {
  const text: string;
  export default text;
}
