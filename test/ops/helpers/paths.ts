import { fileURLToPath } from 'node:url';

/** The repository's `otel-collector/` folder. */
export const OPS_DIR = fileURLToPath(new URL('../../../otel-collector/', import.meta.url));

/** A path inside `otel-collector/`. */
export function opsPath(relative: string): string {
  return `${OPS_DIR}${relative}`;
}
