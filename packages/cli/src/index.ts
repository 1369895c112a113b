export * from './format-status';
// The change runner and its gRPC cluster, for tools that run a join or decommission themselves (the chaos soak).
export { runChange, type ChangeCluster, type ChangeIntent, type ChangeListener } from './change-runner';
export { GrpcChangeCluster } from './grpc-cluster';
// Development CA and certificates (triad certs, npm start, the test clusters).
export { CA_KEY_FILE, LOOPBACK_HOSTS, caFiles, ensureLocalCertificates, initCa, issueCertificate } from './certs/cluster-ca';
