// pm2 process file for running both services on a host under the agent:
//   npm ci && npm run build && mkdir -p /var/log/twinkle
//   pm2 start otel-collector/ecosystem.config.cjs
//   pm2 logs twinkle-api --lines 100
// Cluster mode (a worker per core on one port): ecosystem.cluster.config.cjs.
// Logs go to /var/log/twinkle/<service>.log, where promtail/promtail-config.yml reads them.
const path = require('node:path');

const root = path.join(__dirname, '..');

/** One pm2 app: a service's dist/server.js started with the agent preloaded. */
function twinkleService(name, dir, port) {
  return {
    name,
    cwd: path.join(root, 'services', dir),
    script: 'dist/server.js',
    node_args: '--import @twinkle/agent',
    env: { OTEL_SERVICE_NAME: name, PORT: String(port) },
    out_file: `/var/log/twinkle/${dir}.log`,
    error_file: `/var/log/twinkle/${dir}.error.log`,
  };
}

module.exports = {
  apps: [twinkleService('twinkle-api', 'api', 3000), twinkleService('twinkle-facilitator', 'facilitator', 3001)],
};
