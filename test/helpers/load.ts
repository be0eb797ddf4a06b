/** Sends `total` GETs with at most `concurrency` in flight; resolves with the status counts. */
export async function sendRequests(
  urlFor: (i: number) => string,
  total: number,
  concurrency = 32,
  init?: RequestInit,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const res = await fetch(urlFor(i), init);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return statuses;
}
