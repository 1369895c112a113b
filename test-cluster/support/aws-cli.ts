/**
 * Running the AWS CLI (`aws dynamodb ...`) against a test cluster, with dummy credentials and
 * nothing of the machine's own AWS setup. Tests skip, saying so, when `aws` is not on PATH; one that
 * is installed but broken fails them.
 */
import { execFile, spawnSync } from 'node:child_process';
import { TEST_CREDENTIALS } from '@triad/harness';

/** Where `aws` is on PATH, or undefined. */
export const awsOnPath = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim() || undefined;

/**
 * The aws executable to run. A pyenv shim costs about a second per call in bash before Python
 * starts, so when `aws` is one, ask pyenv for the real script once.
 */
function awsExecutable(): string {
  if (awsOnPath?.includes('/.pyenv/shims/')) {
    const real = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
    if (real.status === 0 && real.stdout.trim()) return real.stdout.trim();
  }
  return 'aws';
}

export const AWS = awsExecutable();
export const awsAvailable = awsOnPath !== undefined;
/** `aws --version` (CLI v1 prints it on stderr), or '' when the CLI is missing. */
export const awsVersion = awsAvailable
  ? (() => {
      const result = spawnSync(AWS, ['--version'], { encoding: 'utf8' });
      return (result.stdout || result.stderr || '').trim();
    })()
  : '';

/** A title for a describe block: where the CLI is and its version, or that the tests are skipped. */
export function awsCliTitle(what: string): string {
  return `${what} (${awsAvailable ? `${awsOnPath}: ${awsVersion}` : 'skipped: aws is not on PATH'})`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON; {} when the CLI printed nothing (an empty response). */
  json: Record<string, any>;
}

export interface AwsCliOptions {
  /**
   * Let the CLI retry as it does by default. Off by default: without retries a failure inside the
   * cluster reaches the test instead of being retried away.
   */
  defaultRetries?: boolean;
  timeoutMs?: number;
  /** Default: TEST_CREDENTIALS (any do in open mode; a suite run with TRIAD_TEST_AUTH=enforce seeds them). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

function cliEnv(options: AwsCliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: options.credentials?.accessKeyId ?? TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials?.secretAccessKey ?? TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    // Nothing from the machine's own AWS setup may leak in.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  if (!options.defaultRetries) env.AWS_MAX_ATTEMPTS = '1';
  else delete env.AWS_MAX_ATTEMPTS;
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_RETRY_MODE']) delete env[name];
  return env;
}

/** Runs `aws dynamodb <args> --endpoint-url <endpoint> --output json`. */
export function runAws(endpoint: string, args: string[], options: AwsCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      AWS,
      ['dynamodb', ...args, '--endpoint-url', endpoint, '--output', 'json'],
      { env: cliEnv(options), timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) return reject(error);
        let json: Record<string, any> = {};
        if (stdout.trim()) {
          try {
            json = JSON.parse(stdout);
          } catch {
            return reject(new Error(`aws dynamodb ${args[0]} printed non-JSON: ${stdout}`));
          }
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** Runs a command that must succeed, showing its stderr if it does not. */
export async function runAwsOk(endpoint: string, args: string[], options: AwsCliOptions = {}): Promise<Record<string, any>> {
  const result = await runAws(endpoint, args, options);
  if (result.code !== 0) throw new Error(`aws dynamodb ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
  return result.json;
}
