/**
 * Static validation of the deployment files (issue 5): the container image's Dockerfile and entry
 * point, Kubernetes manifests, the Helm chart, the docker-compose lab, Prometheus and the Grafana
 * dashboard. Nothing is started (scripts/test/build.test.ts builds and runs the bundles the image runs). Tools that may be
 * missing (docker-compose, kubectl, helm) are used when on PATH; otherwise those cases say why they
 * were skipped and the static checks still run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { promClient } from '@triad/observability';
import { Ring, parseClusterLayout } from '@triad/ring';

const ROOT = path.resolve(__dirname, '../..');
const MANIFESTS_DIR = path.join(ROOT, 'k8s/manifests');
const CHART_DIR = path.join(ROOT, 'k8s/triad');
/** The Kubernetes release helm template renders for (an older helm assumes one below the chart's kubeVersion floor). */
const KUBE_VERSION = ['--kube-version', '1.30.0'];
const DEPLOY_DIR = path.join(ROOT, 'deploy');
const COMPOSE_FILE = path.join(DEPLOY_DIR, 'docker-compose.yml');
/**
 * The oldest Node.js major line the image may be based on: one still maintained (Node 20 reached
 * its end of life in April 2026; 22 is maintained until April 2027).
 */
const IMAGE_NODE_MAJOR_MIN = 22;
/** The roles deploy/entrypoint.sh runs; the compose file and the Kubernetes objects start these. */
const IMAGE_ROLES = ['router', 'storage', 'local', 'cli', 'node-zone'];
/** Generous: docker-compose (Python) and kubectl start slowly on small CI machines. */
const TOOL_TIMEOUT_MS = 60_000;

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

function run(tool: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(tool, args, { cwd: ROOT, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
  return { status: result.status, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** A test that runs only when a condition holds, printing why when it does not. */
function itWhen(condition: boolean, reason: string, name: string, fn: jest.ProvidesCallback): void {
  if (condition) {
    it(name, fn);
  } else {
    it.skip(`${name} (skipped: ${reason})`, () => undefined);
    // eslint-disable-next-line no-console
    console.log(`skipped "${name}": ${reason}`);
  }
}

function parseYamlDocuments(text: string, source: string): K8sObject[] {
  return YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  }).filter((obj) => obj !== null);
}

function readManifests(): Array<{ file: string; obj: K8sObject }> {
  const out: Array<{ file: string; obj: K8sObject }> = [];
  for (const file of fs.readdirSync(MANIFESTS_DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()) {
    for (const obj of parseYamlDocuments(fs.readFileSync(path.join(MANIFESTS_DIR, file), 'utf8'), file)) out.push({ file, obj });
  }
  return out;
}

/** Validates one object against the Kubernetes OpenAPI schema shipped by kubernetes-models (types, required fields, enums). */
function validateK8sObject(obj: K8sObject): void {
  expect(typeof obj.apiVersion).toBe('string');
  expect(typeof obj.kind).toBe('string');
  expect(obj.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  // kubernetes-models lays its classes out as <apiVersion>/<Kind>, e.g. apps/v1/StatefulSet, v1/Service.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const module = require(`kubernetes-models/${obj.apiVersion}/${obj.kind}`) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[obj.kind];
  expect(Model).toBeDefined();
  try {
    new Model(obj).validate();
  } catch (error) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(error as Error).message}`);
  }
}

function podSpecOf(obj: K8sObject): any {
  return obj.spec?.template?.spec;
}

/** Checks that hold for the chart's defaults and the plain manifests alike. */
function checkWorkloads(objects: K8sObject[]): void {
  const statefulSets = objects.filter((o) => o.kind === 'StatefulSet');
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  expect(statefulSets).toHaveLength(3);
  expect(deployments).toHaveLength(1);
  for (const workload of [...statefulSets, ...deployments]) {
    const pod = podSpecOf(workload);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(container.resources?.requests).toBeDefined();
    }
    for (const container of pod.containers) {
      expect(container.livenessProbe).toBeDefined();
      expect(container.readinessProbe).toBeDefined();
    }
  }

  // Storage: one StatefulSet per zone, pinned there, with a volume claim and the zone in its env.
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && /layout/.test(o.metadata.name));
  expect(configMap).toBeDefined();
  const layout = parseClusterLayout(JSON.parse(configMap!.data['layout.json']));
  const headless = objects.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None');
  expect(headless).toBeDefined();
  expect(headless!.spec.publishNotReadyAddresses).toBe(true);
  const expectedIds: string[] = [];
  for (const sts of statefulSets) {
    expect(sts.spec.serviceName).toBe(headless!.metadata.name);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const pod = podSpecOf(sts);
    const zone = pod.containers[0].env.find((e: any) => e.name === 'TRIAD_ZONE').value as string;
    const affinityZones = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values;
    expect(affinityZones).toEqual([zone]);
    expect(pod.topologySpreadConstraints.map((c: any) => c.topologyKey)).toContain('topology.kubernetes.io/zone');
    expect(pod.initContainers[0].args).toEqual(expect.arrayContaining(['node-zone', '--expect', zone]));
    for (let ordinal = 0; ordinal < sts.spec.replicas; ordinal++) {
      const id = `${sts.metadata.name}-${ordinal}`;
      expectedIds.push(id);
      const entry = layout.storageNodes.find((n) => n.id === id);
      expect(entry).toBeDefined();
      expect(entry!.zone).toBe(zone);
      // <pod>.<headless service>[.<namespace>.svc.<domain>]:<gRPC port>
      const grpcPort = pod.containers[0].ports.find((p: any) => p.name === 'grpc').containerPort as number;
      const [host, port] = entry!.address.split(':');
      expect(host === `${id}.${headless!.metadata.name}` || host.startsWith(`${id}.${headless!.metadata.name}.`)).toBe(true);
      expect(Number(port)).toBe(grpcPort);
    }
  }
  expect(layout.storageNodes.map((n) => n.id).sort()).toEqual(expectedIds.sort());
  // Every partition's replica set spans three zones.
  const ring = new Ring(layout);
  for (let partition = 0; partition < layout.partitionCount; partition++) {
    expect(new Set(ring.replicaSet(partition).map((n) => n.zone)).size).toBe(3);
  }

  // PodDisruptionBudget: at most one storage pod down, so every partition keeps a majority.
  const storagePdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.spec.selector.matchLabels['app.kubernetes.io/component'] === 'storage');
  expect(storagePdb?.spec.maxUnavailable).toBe(1);

  // Routers: HTTP health probes and a Service in front.
  const router = podSpecOf(deployments[0]).containers[0];
  expect(router.livenessProbe.httpGet.path).toBe('/health/live');
  expect(router.readinessProbe.httpGet.path).toBe('/health/ready');
  const routerService = objects.find((o) => o.kind === 'Service' && o.spec.clusterIP !== 'None');
  expect(routerService?.spec.selector).toEqual(deployments[0].spec.selector.matchLabels);
}

describe('plain Kubernetes manifests (k8s/manifests)', () => {
  const manifests = readManifests();

  it('every object validates against the Kubernetes schema', () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const { obj } of manifests) validateK8sObject(obj);
  });

  it('workloads: zones, layout, probes, security context, disruption budgets', () => {
    checkWorkloads(manifests.map((m) => m.obj));
  });

  it('kustomization.yaml lists every manifest file', () => {
    const kustomization = YAML.parse(fs.readFileSync(path.join(MANIFESTS_DIR, 'kustomization.yaml'), 'utf8'));
    expect([...kustomization.resources].sort()).toEqual([...new Set(manifests.map((m) => m.file))].sort());
  });

  itWhen(onPath('kubectl'), 'kubectl is not on PATH', 'kubectl kustomize renders objects that validate', () => {
    const result = run('kubectl', ['kustomize', 'k8s/manifests']);
    // Older kubectl (Debian's kubernetes-client) may print deprecation warnings: only the status counts.
    expect([result.status, result.stderr]).toEqual([0, result.stderr]);
    const objects = parseYamlDocuments(result.stdout, 'kubectl kustomize');
    expect(objects.length).toBe(manifests.length);
    for (const obj of objects) {
      validateK8sObject(obj);
      if (obj.kind !== 'Namespace' && obj.kind !== 'ClusterRole' && obj.kind !== 'ClusterRoleBinding') expect(obj.metadata.namespace).toBe('triad');
    }
  });
});

describe('Helm chart (k8s/triad)', () => {
  const values = YAML.parse(fs.readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(fs.readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8'));
  const templatesDir = path.join(CHART_DIR, 'templates');
  const templates = fs.readdirSync(templatesDir).sort().map((file) => ({ file, text: fs.readFileSync(path.join(templatesDir, file), 'utf8') }));

  it('Chart.yaml has the fields Helm requires', () => {
    const chart = YAML.parse(fs.readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8'));
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('triad');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(chart.type).toBe('application');
    expect(typeof chart.appVersion).toBe('string');
  });

  it('values.yaml satisfies values.schema.json, and the schema rejects bad values', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    const withValue = (mutate: (v: any) => void) => {
      const copy = structuredClone(values);
      mutate(copy);
      return validate(copy);
    };
    expect(withValue((v) => (v.storage.zones = ['a', 'b']))).toBe(false);
    expect(withValue((v) => (v.storage.replicasPerZone = 0))).toBe(false);
    expect(withValue((v) => (v.partitionCount = 48))).toBe(false);
    expect(withValue((v) => (v.storage.unknownKey = 1))).toBe(false);
    expect(withValue((v) => (v.storage.zones = ['Zone_A', 'b', 'c']))).toBe(false);
  });

  it('templates: balanced actions and blocks, .Values paths exist, includes are defined', () => {
    const defined = new Set<string>();
    for (const { text } of templates) for (const m of text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)) defined.add(m[1]);
    const hasPath = (dotted: string) => dotted.split('.').filter(Boolean).reduce<any>((node, key) => (node !== undefined && node !== null && key in node ? node[key] : undefined), values) !== undefined;
    for (const { file, text } of templates) {
      const opens = (text.match(/\{\{/g) ?? []).length;
      expect([file, (text.match(/\}\}/g) ?? []).length]).toEqual([file, opens]);
      let depth = 0;
      for (const action of text.matchAll(/\{\{-?\s*(\/\*[\s\S]*?\*\/|[\s\S]*?)\s*-?\}\}/g)) {
        const body = action[1];
        if (body.startsWith('/*')) continue;
        if (/^(if|range|with|define|block)\b/.test(body)) depth++;
        if (/^end\b/.test(body)) depth--;
        expect([file, depth >= 0]).toEqual([file, true]);
      }
      expect([file, depth]).toEqual([file, 0]);
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) expect([file, m[1], hasPath(m[1])]).toEqual([file, m[1], true]);
      for (const m of text.matchAll(/include\s+"([^"]+)"/g)) expect([file, m[1], defined.has(m[1])]).toEqual([file, m[1], true]);
    }
  });

  it('templates produce the same kinds as the plain manifests (plus the optional HPA, ServiceMonitor and cert-manager Certificates)', () => {
    const templateKinds = new Set(templates.flatMap(({ text }) => [...text.matchAll(/^kind:\s*(\w+)\s*$/gm)].map((m) => m[1])));
    const manifestKinds = new Set(readManifests().map((m) => m.obj.kind).filter((k) => k !== 'Namespace'));
    // cert-manager Certificates are the chart's alternative to a Secret made by hand (tls.*.source).
    expect([...templateKinds].filter((k) => k !== 'HorizontalPodAutoscaler' && k !== 'ServiceMonitor' && k !== 'Certificate').sort()).toEqual([...manifestKinds].sort());
  });

  itWhen(onPath('helm'), 'helm is not on PATH', 'helm lint and helm template render objects that validate', () => {
    const lint = run('helm', ['lint', CHART_DIR]);
    expect([lint.status, lint.stderr]).toEqual([0, lint.stderr]);
    const rendered = run('helm', ['template', 'triad', CHART_DIR, '--namespace', 'triad', ...KUBE_VERSION]);
    expect([rendered.status, rendered.stderr]).toEqual([0, rendered.stderr]);
    const objects = parseYamlDocuments(rendered.stdout, 'helm template');
    for (const obj of objects) validateK8sObject(obj);
    checkWorkloads(objects);
    const withOptions = run('helm', ['template', 'triad', CHART_DIR, ...KUBE_VERSION, '--set', 'router.autoscaling.enabled=true', '--set', 'serviceMonitor.enabled=true']);
    expect([withOptions.status, withOptions.stderr]).toEqual([0, withOptions.stderr]);
    for (const obj of parseYamlDocuments(withOptions.stdout, 'helm template (options)')) {
      if (obj.apiVersion !== 'monitoring.coreos.com/v1') validateK8sObject(obj);
    }
    const certManager = run('helm', [
      'template', 'triad', CHART_DIR, ...KUBE_VERSION,
      '--set', 'tls.grpc.source=certManager', '--set', 'tls.http.enabled=true', '--set', 'tls.http.source=certManager',
    ]);
    expect([certManager.status, certManager.stderr]).toEqual([0, certManager.stderr]);
    const withCertificates = parseYamlDocuments(certManager.stdout, 'helm template (cert-manager)');
    expect(withCertificates.filter((obj) => obj.kind === 'Certificate' && obj.apiVersion === 'cert-manager.io/v1')).toHaveLength(2);
    for (const obj of withCertificates) if (obj.apiVersion !== 'cert-manager.io/v1') validateK8sObject(obj);
    checkWorkloads(withCertificates);
  });
});

/** A Dockerfile's instructions (continuation lines joined, comments dropped), split into stages at FROM. */
function dockerfileStages(text: string): Array<Array<{ instruction: string; args: string }>> {
  const stages: Array<Array<{ instruction: string; args: string }>> = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of logical) {
    const [, instruction, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (instruction.toUpperCase() === 'FROM') stages.push([]);
    stages[stages.length - 1].push({ instruction: instruction.toUpperCase(), args });
  }
  return stages;
}

describe('container image (deploy/Dockerfile, deploy/entrypoint.sh)', () => {
  const stages = dockerfileStages(fs.readFileSync(path.join(DEPLOY_DIR, 'Dockerfile'), 'utf8'));
  const final = stages[stages.length - 1];
  const entrypoint = fs.readFileSync(path.join(DEPLOY_DIR, 'entrypoint.sh'), 'utf8');
  const argsOf = (stage: typeof final, instruction: string) => stage.filter((i) => i.instruction === instruction).map((i) => i.args);

  it('every stage is based on a maintained Node.js line', () => {
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) {
      const from = /^node:(\d+)-bookworm-slim(@sha256:[0-9a-f]{64})?(\s+AS\s+\w+)?$/i.exec(stage[0].args);
      expect([stage[0].args, from !== null]).toEqual([stage[0].args, true]);
      expect(Number(from![1])).toBeGreaterThanOrEqual(IMAGE_NODE_MAJOR_MIN);
    }
  });

  it('runs as a fixed numeric user that is not root', () => {
    const users = argsOf(final, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0].split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(argsOf(final, 'ENTRYPOINT')).toEqual(['["triad-entrypoint"]']);
  });

  it('builds the bundles in an earlier stage, and the final stage takes only them and the production dependencies', () => {
    expect(stages.slice(0, -1).some((stage) => argsOf(stage, 'RUN').some((run) => /npm run (bundle|build)\b/.test(run)))).toBe(true);
    const fromBuild = argsOf(final, 'COPY').filter((copy) => copy.startsWith('--from='));
    expect(fromBuild.map((copy) => copy.split(/\s+/)[1]).sort()).toEqual(['/app/dist', '/app/node_modules']);
    // Nothing of the sources: the final stage's other copies are the entry point and its helper.
    const fromContext = argsOf(final, 'COPY').filter((copy) => !copy.startsWith('--from='));
    for (const copy of fromContext) expect(copy).toMatch(/^deploy\//);
  });

  it('each role runs a bundle with plain node: no TypeScript, no tsx', () => {
    const commands = new Map([...entrypoint.matchAll(/^\s*([\w-]+)\)\s+exec (.*?) ;;$/gm)].map((m) => [m[1], m[2]]));
    expect([...commands.keys()].sort()).toEqual([...IMAGE_ROLES].sort());
    for (const role of ['router', 'storage', 'local', 'cli']) {
      expect([role, commands.get(role)]).toEqual([role, expect.stringMatching(/^node (--[\w-]+ )*dist\/[\w-]+\.js\b/)]);
    }
    const finalText = final.map((i) => i.args).join('\n');
    for (const text of [entrypoint, finalText]) {
      expect(text).not.toMatch(/\btsx\b/);
      expect(text).not.toMatch(/\.ts\b/);
    }
  });

  it('the compose lab and the Kubernetes objects start only roles the entry point knows', () => {
    const compose = composeModel();
    for (const [name, service] of Object.entries(compose.services as Record<string, any>)) {
      if (service.build?.dockerfile !== 'deploy/Dockerfile') continue;
      expect([name, IMAGE_ROLES.includes(service.command[0])]).toEqual([name, true]);
    }
    const containers = readManifests().flatMap(({ obj }) => {
      const pod = podSpecOf(obj);
      return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
    });
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) expect([container.name, IMAGE_ROLES.includes(container.args[0])]).toEqual([container.name, true]);
    const templatesDir = path.join(CHART_DIR, 'templates');
    const chartRoles = fs.readdirSync(templatesDir).flatMap((file) => [...fs.readFileSync(path.join(templatesDir, file), 'utf8').matchAll(/^\s*args: \[([\w-]+)/gm)].map((m) => m[1]));
    expect(chartRoles.length).toBeGreaterThan(0);
    for (const role of chartRoles) expect(IMAGE_ROLES).toContain(role);
  });
});

/** The compose model, as docker-compose resolves it when available, else as the file says (YAML merge keys applied). */
function composeModel(): any {
  if (onPath('docker-compose')) {
    const result = run('docker-compose', ['-f', COMPOSE_FILE, 'config']);
    if (result.status === 0) return YAML.parse(result.stdout);
  }
  return YAML.parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
}

describe('docker-compose lab (deploy/)', () => {
  itWhen(onPath('docker-compose'), 'docker-compose is not on PATH', 'docker-compose config -q accepts the file', () => {
    const result = run('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q']);
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  it('has 6 storage nodes over 3 zones, 2 routers, Prometheus and Grafana, consistent with the layout', () => {
    const compose = composeModel();
    const services = compose.services as Record<string, any>;
    const labels = (s: any): Record<string, string> => (Array.isArray(s.labels) ? Object.fromEntries(s.labels.map((l: string) => l.split('='))) : s.labels ?? {});
    const env = (s: any): Record<string, string> => (Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e: string) => e.split('='))) : s.environment ?? {});
    const networksOf = (s: any): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
    const storage = Object.entries(services).filter(([, s]) => labels(s)['triad.role'] === 'storage');
    const routers = Object.entries(services).filter(([, s]) => labels(s)['triad.role'] === 'router');
    expect(storage).toHaveLength(6);
    expect(routers).toHaveLength(2);
    expect(services.prometheus).toBeDefined();
    expect(services.grafana).toBeDefined();

    const layout = parseClusterLayout(JSON.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'lab-layout.json'), 'utf8')));
    const zones = new Map<string, number>();
    for (const [name, service] of storage) {
      const zone = labels(service)['triad.zone'];
      zones.set(zone, (zones.get(zone) ?? 0) + 1);
      expect(env(service).TRIAD_ZONE).toBe(zone);
      expect(env(service).TRIAD_NODE_ID).toBe(name);
      expect(layout.storageNodes.find((n) => n.id === name)).toEqual({ id: name, zone, address: `${name}:7000` });
      expect(networksOf(service).sort()).toEqual(['backbone', `zone-${zone}`]);
      const volumes = (service.volumes as any[]).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
      expect(volumes.some((v) => v.startsWith(`${name}:/data`))).toBe(true);
      expect(volumes.some((v) => /lab-layout\.json:\/etc\/triad\/layout\.json/.test(v))).toBe(true);
      expect(compose.volumes[name]).toBeDefined();
    }
    expect([...zones.entries()].sort()).toEqual([['a', 2], ['b', 2], ['c', 2]]);
    expect(layout.storageNodes).toHaveLength(6);
    const ring = new Ring(layout);
    for (let partition = 0; partition < layout.partitionCount; partition++) {
      expect(new Set(ring.replicaSet(partition).map((n) => n.zone)).size).toBe(3);
    }

    const hostPorts = routers.flatMap(([, s]) => (s.ports as any[]).map((p) => (typeof p === 'string' ? Number(p.split(':')[0]) : Number(p.published)))).sort();
    expect(hostPorts).toEqual([8000, 8001]);

    // Prometheus scrapes every Triad process.
    const prometheus = YAML.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'prometheus/prometheus.yml'), 'utf8'));
    const targets = new Set<string>(prometheus.scrape_configs.flatMap((job: any) => job.static_configs.flatMap((c: any) => c.targets)));
    for (const [name] of storage) expect(targets.has(`${name}:9100`)).toBe(true);
    for (const [name] of routers) expect(targets.has(`${name}:8000`)).toBe(true);

    // Grafana: the provisioned datasource is the one the dashboard uses, and the dashboards folder is mounted.
    const datasources = YAML.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'));
    const dashboard = JSON.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'grafana/dashboards/triad.json'), 'utf8'));
    const dashboardUids = new Set(dashboard.panels.filter((p: any) => p.datasource).map((p: any) => p.datasource.uid));
    expect([...dashboardUids]).toEqual([datasources.datasources[0].uid]);
    const providers = YAML.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'grafana/provisioning/dashboards/triad.yml'), 'utf8'));
    const grafanaVolumes = (services.grafana.volumes as any[]).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(grafanaVolumes.some((v) => v.endsWith(`:${providers.providers[0].options.path}`) || v.includes(`:${providers.providers[0].options.path}:`))).toBe(true);
  });
});

describe('Grafana dashboard (deploy/grafana/dashboards/triad.json)', () => {
  it('queries only metrics and labels that Triad or prom-client defaults export', async () => {
    // Triad's metrics, from the source: `new promClient.<Type>({ name: '...', labelNames: [...] })`.
    const known = new Map<string, { type: string; labels: string[] }>();
    const sourceFiles = fs.readdirSync(path.join(ROOT, 'packages')).flatMap((pkg) => {
      const src = path.join(ROOT, 'packages', pkg, 'src');
      return fs.existsSync(src) ? (fs.readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f)) : [];
    });
    for (const file of sourceFiles) {
      const text = fs.readFileSync(file, 'utf8');
      const chunks = text.split(/new promClient\./).slice(1);
      for (const chunk of chunks) {
        const m = /^(Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([^']+)'/.exec(chunk);
        if (!m) continue;
        const labelNames = /labelNames:\s*\[([^\]]*)\]/.exec(chunk);
        known.set(m[2], { type: m[1].toLowerCase(), labels: labelNames ? [...labelNames[1].matchAll(/'([^']+)'/g)].map((l) => l[1]) : [] });
      }
    }
    expect(known.size).toBeGreaterThan(15);
    // prom-client's default metrics, from prom-client itself.
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry });
    for (const metric of await registry.getMetricsAsJSON()) known.set(metric.name, { type: String(metric.type), labels: [] });

    const seriesNames = new Set<string>(['up']);
    const allowedLabels = new Set(['le', 'job', 'instance', 'node_id', 'zone', 'role']);
    for (const [name, { type, labels }] of known) {
      labels.forEach((l) => allowedLabels.add(l));
      seriesNames.add(name);
      if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => seriesNames.add(name + s));
      if (type === 'summary') ['_sum', '_count'].forEach((s) => seriesNames.add(name + s));
    }

    const dashboard = JSON.parse(fs.readFileSync(path.join(DEPLOY_DIR, 'grafana/dashboards/triad.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    exprs.push(...dashboard.templating.list.map((v: any) => v.definition));
    expect(exprs.length).toBeGreaterThan(20);
    const queried = new Set<string>();
    for (const expr of exprs) {
      const bare = expr.replace(/"[^"]*"/g, '').replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
      for (const m of bare.matchAll(/\b(triad_\w+|process_\w+|nodejs_\w+|up)\b/g)) queried.add(m[1]);
      for (const m of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of m[1].split(',').map((l) => l.trim())) expect([expr, label, allowedLabels.has(label)]).toEqual([expr, label, true]);
      }
      for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const label of m[1].split(',').map((l) => l.split(/[=!~]/)[0].trim()).filter(Boolean)) expect([expr, label, allowedLabels.has(label)]).toEqual([expr, label, true]);
      }
    }
    const unknown = [...queried].filter((name) => !seriesNames.has(name));
    expect(unknown).toEqual([]);
    // The dashboard covers every Triad metric.
    const triadMetrics = [...known.keys()].filter((n) => n.startsWith('triad_'));
    const covered = (name: string) => [...queried].some((q) => q === name || q.startsWith(`${name}_`));
    expect(triadMetrics.filter((n) => !covered(n))).toEqual([]);
  });
});
