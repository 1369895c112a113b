/**
 * `@triad/harness/local-cluster`: LocalCluster alone, for what runs a cluster without testing it
 * (`npm start`, the container image's `local` role, the fault lab's paths). It reaches only
 * production dependencies: the rest of the harness needs the AWS SDK, a devDependency that the
 * image leaves out (test/local-cluster-entry.test.ts holds this line).
 */
export * from './local-cluster';
