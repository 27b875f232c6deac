// Node's own import(), for scripts/lib/platform.mjs: required through createRequire, this file is compiled by Node's
// loader even when a test runner transforms the caller, so the modules it imports resolve as Node resolves them.
module.exports = (url) => import(url);
