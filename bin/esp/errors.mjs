// The three ways a command fails, each with its own exit code in ../esp.mjs: 1 the API refused (ApiError),
// 2 usage (UsageError), 3 not reachable / not logged in (Unreachable).

export class UsageError extends Error {}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export class Unreachable extends Error {}
