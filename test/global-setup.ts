/**
 * Every temporary folder a test run makes (its own Redis and PostgreSQL clusters, collector
 * and Prometheus scratch, the apps' files) lands inside one folder of the run: TMPDIR points
 * there for the test workers and every process they start, and the folder is removed when the
 * run ends, stopped with Ctrl-C too; one left by a killed run goes at the start of the next.
 */
import { createScratchDir } from '../scripts/scratch-dir.js';

export default function setup(): () => void {
  const scratch = createScratchDir('twinkle-test-run');
  process.env.TMPDIR = scratch.path;
  return () => scratch.remove();
}
