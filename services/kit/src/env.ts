/**
 * Parsers for service settings read from the environment. Each service reads its
 * environment in its own `config.ts` with these; a bad value gets one clear line naming
 * the variable and what is accepted, and the default is used.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Collects the lines about bad values so the service logs them once its logger exists. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  private reject(name: string, value: string, accepted: string, fallback: unknown): void {
    this.problems.push(`${name}=${JSON.stringify(value)} is not valid (accepted: ${accepted}); using ${String(fallback)}`);
  }

  /** A string, or the default when unset. */
  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** An integer in [min, max]. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^\d+$/.test(value) && Number(value) >= min && Number(value) <= max) return Number(value);
    this.reject(name, value, `an integer from ${min} to ${max}`, fallback);
    return fallback;
  }

  /** A TCP port. */
  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  /** A URL with one of the given schemes. */
  url(name: string, fallback: string, schemes: readonly string[]): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (isUrl(value, schemes)) return value;
    // The value may hold a password: never echo it.
    this.problems.push(`${name} is not a valid ${schemes.join(' or ')} URL; using ${fallback}`);
    return fallback;
  }

  /** A comma-separated list of URLs; invalid entries are dropped (and said so). */
  urlList(name: string, fallback: readonly string[], schemes: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    const valid = entries.filter((entry) => isUrl(entry, schemes));
    if (valid.length < entries.length || valid.length === 0) {
      this.problems.push(`${name}: ${entries.length - valid.length} of ${entries.length} entries are not ${schemes.join(' or ')} URLs and are ignored`);
    }
    return valid.length > 0 ? valid : [...fallback];
  }
}

function isUrl(value: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
  } catch {
    return false;
  }
}
