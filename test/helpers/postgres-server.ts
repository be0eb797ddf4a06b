import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './loopback-server.js';

const run = promisify(execFile);
const PG_BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0]}/bin`;
/** PostgreSQL refuses to run as root: as root, its tools run as the postgres user. */
const AS_POSTGRES = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];

/**
 * A PostgreSQL cluster of a test's own (initdb into a temporary folder, a free loopback
 * port, fsync off), for tests that stop and start the database: the shared server on
 * :5433 is never touched.
 */
export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop -m immediate`: the server goes away at once, connections cut. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Creates another database in the cluster; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops it and removes the cluster. */
  dispose(): Promise<void>;
}

async function pg(tool: string, args: string[]): Promise<void> {
  const [command, ...rest] = [...AS_POSTGRES, join(PG_BIN, tool), ...args];
  await run(command!, rest);
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'twinkle-test-pg-'));
  if (AS_POSTGRES.length > 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, 0);
  }
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = (): Promise<void> =>
    // synchronous_commit stays on: with it off, an immediate stop loses the last commits (the
    // settling row itself), which no real deployment would accept. fsync=off only risks an OS crash.
    pg('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = (): Promise<void> => pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  await start();
  await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'twinkle']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/twinkle`,
    port,
    stop,
    start,
    async createDatabase(name) {
      await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async dispose() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
