/**
 * The oldest Node the agent runs on, and the line it writes on an older one. Current
 * OpenTelemetry JS needs 22.15 (`engines` in package.json says the same; a test holds
 * the two equal). Below it the agent stays off unless `TWINKLE_ALLOW_UNSUPPORTED_NODE`
 * says otherwise; only plain JavaScript runs before this check (config.ts, diag.ts).
 */

/** The oldest supported Node, as `major.minor.patch`. */
export const NODE_FLOOR = '22.15.0';

/** Whether `version` (`process.versions.node`, `v` prefix allowed) is at or above the floor. */
export function isSupportedNode(version: string): boolean {
  const running = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (running === null) return false;
  const floor = NODE_FLOOR.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const part = Number(running[i + 1]);
    if (part !== floor[i]) return part > floor[i];
  }
  return true;
}

/** The one line said below the floor; `forced` when `TWINKLE_ALLOW_UNSUPPORTED_NODE=true` runs the agent anyway. */
export function unsupportedNodeMessage(version: string, forced: boolean): string {
  return forced
    ? `Node ${version} is older than the agent supports (>= ${NODE_FLOOR}); starting anyway because TWINKLE_ALLOW_UNSUPPORTED_NODE=true`
    : `Node ${version} is older than the agent supports (>= ${NODE_FLOOR}): the agent stays off and the app runs without it (TWINKLE_ALLOW_UNSUPPORTED_NODE=true starts it anyway)`;
}
