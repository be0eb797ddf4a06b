/**
 * The `twinkle-agent` command of @twinkle/agent. `twinkle-agent doctor [--json]
 * [--timeout <ms>]`: exit 0 when all is well, 1 with one line per problem, 2 for a usage
 * error.
 */
import { formatReport, runDoctor } from './doctor/doctor.js';

const USAGE = 'usage: twinkle-agent doctor [--json] [--timeout <ms>]\n';

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'doctor') {
    process.stderr.write(command === undefined || command === '--help' || command === '-h' ? USAGE : `unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  let json = false;
  let timeoutMs = 3000;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--json') json = true;
    else if (rest[i] === '--timeout' && /^\d+$/.test(rest[i + 1] ?? '') && Number(rest[i + 1]) > 0) timeoutMs = Number(rest[++i]);
    else {
      process.stderr.write(`unknown option ${JSON.stringify(rest[i])}\n${USAGE}`);
      return 2;
    }
  }
  const report = await runDoctor({ timeoutMs });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`twinkle-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
