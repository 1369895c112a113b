// Kubernetes init-container helper: a pod cannot read its node's labels through the downward API,
// so this asks the API server for the node (NODE_NAME, from spec.nodeName) with the pod's
// ServiceAccount token, and writes the node's zone label to a file the main container reads
// (TRIAD_ZONE_FILE). With --expect ZONE it fails when the node is in another zone, so a storage
// node never joins under a zone that its layout entry does not match.
//
// Usage: node node-zone.mjs --out /triad-zone/zone [--expect ZONE] [--fallback ZONE] [--label KEY]
// Plain JavaScript on purpose: it runs before anything else and needs no loader.
import fs from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** One API call; a slow API server should fail the init container (and be retried by the kubelet). */
const REQUEST_TIMEOUT_MS = 10_000;

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    expect: { type: 'string' },
    fallback: { type: 'string' },
    label: { type: 'string', default: 'topology.kubernetes.io/zone' },
  },
});

function getNode(name) {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not running in Kubernetes (KUBERNETES_SERVICE_HOST unset)');
  const token = fs.readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim();
  const ca = fs.readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host, port, path: `/api/v1/nodes/${encodeURIComponent(name)}`, ca, headers: { Authorization: `Bearer ${token}` }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET node ${name}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
          else resolve(JSON.parse(body));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET node ${name}: timed out`)));
    req.on('error', reject);
  });
}

async function main() {
  const nodeName = process.env.NODE_NAME;
  if (!nodeName) throw new Error('NODE_NAME is not set (use the downward API: fieldRef spec.nodeName)');
  const node = await getNode(nodeName);
  let zone = node.metadata?.labels?.[values.label];
  if (!zone) {
    if (!values.fallback) throw new Error(`node ${nodeName} has no ${values.label} label and no --fallback was given`);
    console.log(`node ${nodeName} has no ${values.label} label; using ${values.fallback}`);
    zone = values.fallback;
  }
  if (values.expect && zone !== values.expect) {
    throw new Error(`node ${nodeName} is in zone ${zone}, but this pod must run in zone ${values.expect}`);
  }
  if (values.out) fs.writeFileSync(values.out, zone);
  console.log(`node ${nodeName}: zone ${zone}`);
}

main().catch((error) => {
  console.error(`node-zone: ${error.message}`);
  process.exit(1);
});
