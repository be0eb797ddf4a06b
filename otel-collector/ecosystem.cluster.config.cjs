// pm2 process file in cluster mode: ecosystem.config.cjs with one worker per core for each
// service, all sharing the service's port (pm2 forks them with node:cluster).
//   npm ci && npm run build && mkdir -p /var/log/twinkle
//   pm2 start otel-collector/ecosystem.cluster.config.cjs
//   curl -s localhost:3000/metrics     # the whole group, whichever worker answers
//   pm2 reload twinkle-api             # one worker at a time; no counter goes backwards
// Each worker's lines carry its pid; merge_logs keeps one file per service for promtail.
const { apps } = require('./ecosystem.config.cjs');

module.exports = {
  apps: apps.map((app) => ({ ...app, exec_mode: 'cluster', instances: 'max', merge_logs: true })),
};
