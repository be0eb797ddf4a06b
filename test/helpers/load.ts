/** Sends `total` requests (GETs unless `init`/`initFor` say otherwise) with at most `concurrency` in flight; resolves with the status counts. */
export async function sendRequests(
  urlFor: (i: number) => string,
  total: number,
  concurrency = 32,
  init?: RequestInit,
  initFor?: (i: number) => RequestInit,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const res = await fetch(urlFor(i), initFor?.(i) ?? init);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return statuses;
}
