/** Runs `task(i)` for i in [0, count) with `concurrency` in flight; resolves with how many returned false. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        if (!(await task(i))) errors++;
      }
    }),
  );
  return errors;
}
