import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupDirectory } from '../../../agent/src/cluster/group-directory.js';
import type { WorkerSnapshot } from '../../../agent/src/cluster/worker-snapshot.js';

function worker(pid: number, requests: number, extra: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return {
    id: `${pid}-aa`,
    pid,
    seq: 1,
    members: [`${pid}-aa`],
    adopted: 0,
    families: [{ name: 'http_requests_total', description: '', kind: 'counter', points: [{ attributes: {}, value: requests }] }],
    ...extra,
  };
}

describe('GroupDirectory', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('lets exactly one of two adopters claim an exited worker', () => {
    dir = mkdtempSync(join(tmpdir(), 'twinkle-group-'));
    const group = new GroupDirectory(dir);
    const snapshot = worker(9, 3);
    group.writeOwn(snapshot.id, JSON.stringify(snapshot));
    const a = group.claim({ id: snapshot.id, by: undefined }, '1-aa');
    const b = group.claim({ id: snapshot.id, by: undefined }, '2-bb');
    expect([a?.id, b?.id]).toEqual([snapshot.id, undefined]);
    expect(group.list().files).toEqual([{ id: snapshot.id, by: '1-aa' }]);
    group.release(snapshot.id, '1-aa');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads the first line of a file rewritten in place with a shorter snapshot, and skips what is not a snapshot', () => {
    dir = mkdtempSync(join(tmpdir(), 'twinkle-group-'));
    const group = new GroupDirectory(dir);
    const long = worker(9, 123456789);
    const short = worker(9, 1, { seq: 2 });
    group.writeOwn(long.id, JSON.stringify(long));
    group.writeOwn(short.id, JSON.stringify(short));
    expect(group.read({ id: short.id, by: undefined })).toMatchObject({ seq: 2 });
    writeFileSync(join(dir, 'w-8-cc.json'), '{"id":"8-cc","pid":8');
    expect(group.read({ id: '8-cc', by: undefined })).toBeUndefined();
    expect(group.read({ id: '7-dd', by: undefined })).toBe('gone');
  });

  it('lists again when the directory changed, and keeps no listing taken while its mtime was recent', () => {
    dir = mkdtempSync(join(tmpdir(), 'twinkle-group-'));
    const group = new GroupDirectory(dir);
    writeFileSync(join(dir, 'w-1-aa.sock'), '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(dir, past, past);
    const settled = group.list();
    expect(settled.sockets).toEqual(['1-aa']);
    expect(group.list()).toBe(settled);

    // A worker arrives: the directory's mtime moves, and the listing is read again.
    writeFileSync(join(dir, 'w-2-bb.sock'), '');
    const moved = group.list();
    expect([...moved.sockets].sort()).toEqual(['1-aa', '2-bb']);

    // Two changes within one tick of the file system's clock leave the mtime as the first
    // set it (here set by hand to the same instant both times): a listing taken between
    // them must not be kept.
    const tick = new Date();
    writeFileSync(join(dir, 'w-3-cc.sock'), '');
    utimesSync(dir, tick, tick);
    expect([...group.list().sockets].sort()).toEqual(['1-aa', '2-bb', '3-cc']);
    writeFileSync(join(dir, 'w-4-dd.sock'), '');
    utimesSync(dir, tick, tick);
    expect(statSync(dir).mtimeMs).toBe(tick.getTime());
    expect([...group.list().sockets].sort()).toEqual(['1-aa', '2-bb', '3-cc', '4-dd']);
  });
});
