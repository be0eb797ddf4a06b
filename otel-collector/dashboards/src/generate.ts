// Writes grafana/dashboards/*.json. Run after `npm run build` (it reads @twinkle/semconv):
//   node otel-collector/dashboards/src/generate.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS_DIR, renderDashboards } from './render.ts';

for (const { file, json } of renderDashboards()) {
  const url = new URL(file, DASHBOARDS_DIR);
  writeFileSync(url, json);
  console.log(`wrote ${fileURLToPath(url)}`);
}
