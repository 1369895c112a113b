/**
 * The small-shop application flow (README.md in this folder) through boto3: runs app_flow.py
 * against the cluster, with dummy credentials in its environment and the endpoint on its command
 * line. The script checks every step itself and exits non-zero naming the step that failed.
 * Skipped, saying so, when no python3 can import boto3 (.ci/run installs Debian's python3-boto3).
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { TEST_CREDENTIALS } from '@triad/harness';
import { startTestCluster, type TestCluster } from '../support/test-cluster';

const SLOT = 19;
const SCRIPT = path.join(__dirname, 'app_flow.py');
const STEPS = 11;
/** The whole flow takes a few seconds; this bounds a hung client. */
const SCRIPT_TIMEOUT_MS = 100_000;

/**
 * A python3 path as given, made direct when it is a pyenv shim: a shim costs about a second per call
 * in bash before Python starts, so ask pyenv for the real interpreter once.
 */
function direct(python: string): string {
  if (!python.includes('/.pyenv/shims/')) return python;
  const real = spawnSync('pyenv', ['which', 'python3'], { encoding: 'utf8' });
  return real.status === 0 && real.stdout.trim() ? real.stdout.trim() : python;
}

/**
 * The interpreter to run the script with: TRIAD_TEST_PYTHON when set, else python3 on PATH, else
 * Debian's /usr/bin/python3 (where .ci/run's python3-boto3 goes when PATH's python3 is another one);
 * the first that imports boto3.
 */
function findPython(): { python?: string; boto3Version?: string; skipReason?: string } {
  const onPath = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
  const candidates = process.env.TRIAD_TEST_PYTHON ? [process.env.TRIAD_TEST_PYTHON] : [...new Set([onPath, '/usr/bin/python3'].filter(Boolean))];
  const refusals: string[] = [];
  for (const candidate of candidates) {
    const python = direct(candidate);
    const probe = spawnSync(python, ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, boto3Version: probe.stdout.trim() };
    refusals.push(`${python}: ${probe.error ? probe.error.message : (probe.stderr ?? '').trim().split('\n').pop()}`);
  }
  return { skipReason: candidates.length ? `no python3 can import boto3 (${refusals.join('; ')})` : 'python3 is not on PATH' };
}

const { python: PYTHON, boto3Version, skipReason } = findPython();
if (skipReason) console.warn(`SKIPPED boto3.test.ts: ${skipReason}`);
const describeWithBoto3 = skipReason ? describe.skip : describe;

let tc: TestCluster;

describeWithBoto3(`small-shop flow through boto3 (${boto3Version ?? 'skipped'}, ${PYTHON ?? 'no python3'})`, () => {
  beforeAll(async () => {
    tc = await startTestCluster(SLOT);
  });

  afterAll(async () => {
    await tc?.stop();
  });

  test('app_flow.py runs every step against the cluster', async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      // Nothing from the machine's own AWS setup may leak in.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
    };
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_ENDPOINT_URL;
    delete env.AWS_ENDPOINT_URL_DYNAMODB;

    const result = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((resolve) => {
      execFile(PYTHON!, [SCRIPT, '--endpoint', tc.endpoint], { env, timeout: SCRIPT_TIMEOUT_MS }, (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? error.signal ?? 'error') : 0, stdout, stderr });
      });
    });
    if (result.code !== 0) {
      throw new Error(`app_flow.py exited with ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
    }
    // Exit 0 alone could hide a script that stopped early: every step must have reported.
    for (let step = 1; step <= STEPS; step++) expect(result.stdout).toMatch(new RegExp(`^ok ${step} `, 'm'));
    expect(result.stdout).toContain(`app flow passed: ${STEPS} steps`);
    expect(tc.unexpectedExits).toEqual([]);
  });
});
