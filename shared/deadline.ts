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
