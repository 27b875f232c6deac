/** One deadline helper for every wait on another system (readiness checks, Redis signals, the rate limiter). */

/** Rejects with `<what>: no answer within N ms` when `work` takes longer; the timer never outlives the call. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what ? `${what}: ` : ''}no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for work another request started (a shared round trip) for at most `ms`, then does it alone: in workerd a
 * request's I/O is cancelled with the request (its client gone), and what it started for others would then never
 * settle. The shared work's own failure is its joiners' failure too.
 */
export async function joinWithin<T>(shared: Promise<T>, ms: number, alone: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = Symbol('gave up');
  try {
    const first = await Promise.race([
      shared,
      new Promise<typeof gaveUp>((resolve) => {
        timer = setTimeout(() => resolve(gaveUp), ms);
      }),
    ]);
    return first === gaveUp ? await alone() : (first as T);
  } finally {
    clearTimeout(timer);
  }
}
