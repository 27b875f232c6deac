// The Node-side type-check sees Worker modules when tests import their config specs; those name the Workers
// runtime's service-binding type, which @types/node lacks. Only its shape matters here.
declare interface Fetcher {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}
