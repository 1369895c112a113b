/**
 * Resolves once `needed` of the promises have fulfilled; rejects as soon as that can no longer
 * happen, with the last failure. The rest keep running (a slow follower still gets the write).
 */
export function awaitQuorum(attempts: Promise<unknown>[], needed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (needed <= 0) return resolve();
    let fulfilled = 0;
    let failed = 0;
    for (const attempt of attempts) {
      attempt.then(
        () => {
          if (++fulfilled === needed) resolve();
        },
        (error: unknown) => {
          if (++failed === attempts.length - needed + 1) reject(error);
        },
      );
    }
    if (attempts.length < needed) reject(new Error(`quorum of ${needed} impossible with ${attempts.length} replicas`));
  });
}
