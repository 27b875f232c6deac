// What every scenario's setup does with the processes it starts: `build(ctx, stops)` pushes a stop function for
// each; they run in reverse order on teardown, or at once when the setup fails half-way.

/**
 * @param {(ctx: object, stops: Array<() => Promise<unknown>>) => Promise<object>} build  returns the scenario's run
 * @returns {(ctx: object) => Promise<object>}  the scenario's `setup`
 */
export function withProcesses(build) {
  return async (ctx) => {
    const stops = [];
    const stopAll = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    };
    try {
      const run = await build(ctx, stops);
      return {
        ...run,
        async teardown() {
          await run.teardown?.();
          await stopAll();
        },
      };
    } catch (err) {
      await stopAll();
      throw err;
    }
  };
}
