/** The service's configuration, read from the environment in this one place. */
export interface ServiceConfig {
  /** `PORT`. @default 3001 */
  readonly port: number;
}

/** Reads `PORT`; a bad value falls back to the default with one line on stderr. */
export function readServiceConfig(env: Readonly<Record<string, string | undefined>> = process.env): ServiceConfig {
  const raw = env.PORT?.trim();
  if (!raw) return { port: 3001 };
  if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return { port: Number(raw) };
  process.stderr.write(`PORT=${JSON.stringify(raw)} is not valid (accepted: an integer from 0 to 65535); using 3001\n`);
  return { port: 3001 };
}
