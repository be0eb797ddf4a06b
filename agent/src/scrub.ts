/**
 * One scrubber for every signal: span attributes, log lines (and, with Sentry, events).
 * Values are replaced and keys kept, so what is scrubbed stays readable. Pure functions,
 * no state; exported for the hooks that call them and for tests.
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Key names (lower-cased, separators removed) whose values are secrets. */
const SECRET_KEYS = new Set([
  'privatekey',
  'secret',
  'secretkey',
  'clientsecret',
  'password',
  'passwd',
  'passphrase',
  'mnemonic',
  'seed',
  'seedphrase',
  'apikey',
  'xapikey',
  'signature',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'auth',
]);

/** Query parameters that carry keys in RPC and API URLs. */
const SECRET_QUERY_KEYS = new Set(['apikey', 'key', 'token', 'accesstoken', 'auth', 'secret', 'password', 'signature', 'sig']);

/** Path segments after which RPC providers put the API key (`/v2/<key>`, `/v3/<key>`, `/rpc/<key>`). */
const KEY_PATH = /(\/(?:v2|v3|rpc)\/)([^/?#\s"']+)/gi;
/** What every URL that `scrubUrl` changes contains somewhere. */
const MAY_HOLD_KEY = /[@?]|\/(?:v2|v3|rpc)\//i;
/** A private key: 64 hex digits, with or without 0x, standing alone. */
const PRIVATE_KEY = /(?<![0-9a-zA-Z])(0x)?[0-9a-fA-F]{64}(?![0-9a-zA-Z])/g;
/** `Bearer <token>` / `Basic <token>` wherever it appears. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+(?!(?:Bearer|Basic)\b)[A-Za-z0-9\-._~+/]+=*/gi;
/** URLs inside free text. */
const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'<>`]+/gi;

/** A transaction or block hash has a private key's shape; under a key that says "hash" it is kept. */
const HASH_VALUE = /^0x[0-9a-fA-F]{64}$/;

/** `hash`, `txHash`, `transactionHash`, `blockHash`, `tx_hash` ... */
function isHashKey(key: string): boolean {
  return /hash$/i.test(key.replace(/[-_.\s]/g, ''));
}

/** Decisions of `isSecretKey` for the keys seen so far (keys repeat: attribute and field names), bounded. */
const secretKeys = new Map<string, boolean>();
const MAX_REMEMBERED_KEYS = 4096;

/** Whether a key name means its value is a secret (privateKey, private_key, X-API-Key ...). */
export function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.has(key.toLowerCase().replace(/[-_.\s]/g, ''));
    if (secretKeys.size < MAX_REMEMBERED_KEYS) secretKeys.set(key, secret);
  }
  return secret;
}

/**
 * A URL as it may be recorded: no user or password, no key in a `/v2/`, `/v3/` or
 * `/rpc/` path segment, no value of a key-like query parameter.
 */
export function scrubUrl(url: string): string {
  // The common case (a plain path, a URL without userinfo, key path or query) is left as is.
  if (!MAY_HOLD_KEY.test(url)) return url;
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`);
  out = out.replace(KEY_PATH, `$1${REDACTED}`);
  const q = out.indexOf('?');
  if (q === -1) return out;
  const hash = out.indexOf('#', q);
  const query = out.slice(q + 1, hash === -1 ? undefined : hash);
  const scrubbed = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = safeDecode(pair.slice(0, eq))
        .toLowerCase()
        .replace(/[-_.]/g, '');
      return SECRET_QUERY_KEYS.has(name) || isSecretKey(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
  return `${out.slice(0, q + 1)}${scrubbed}${hash === -1 ? '' : out.slice(hash)}`;
}

/** An endpoint as it may be logged: origin and path only, no user, password or query. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return scrubUrl(`${parsed.origin}${parsed.pathname}`);
  } catch {
    return '[invalid URL]';
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Runs of 12 or more short lower-case words: where a BIP-39 mnemonic could stand. */
const WORD_RUN = /(?<![A-Za-z])[a-z]{3,8}(?:\s+[a-z]{3,8}){11,}(?![A-Za-z])/g;
/** The shortest BIP-39 mnemonic. */
const MNEMONIC_WORDS = 12;
/** Twelve words of at least 3 letters and the 11 spaces between them. */
const MNEMONIC_MIN_LENGTH = MNEMONIC_WORDS * 3 + MNEMONIC_WORDS - 1;
const AUTH_TRIGGER = /bearer|basic/i;
let bip39: ReadonlySet<string> | undefined;

/**
 * A run of words with each stretch of 12 or more consecutive BIP-39 (English) words
 * replaced; the words around a mnemonic stay.
 */
function redactMnemonics(run: string): string {
  // The word list loads the first time a candidate run is seen.
  bip39 ??= new Set((require('@scure/bip39/wordlists/english.js') as { wordlist: string[] }).wordlist);
  const tokens = run.split(/(\s+)/); // words at even indexes, the spaces between them at odd ones
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    let j = i;
    while (j < tokens.length && bip39.has(tokens[j])) j += 2;
    const words = (j - i) / 2;
    if (words >= MNEMONIC_WORDS) {
      out.push(REDACTED);
      i = j - 1; // continue from the space after the last word of the stretch
    } else {
      out.push(tokens[i]);
      i += 1;
    }
  }
  return out.join('');
}

/**
 * Free text with every secret shape replaced: private keys (64 hex digits), `Bearer` and
 * `Basic` credentials, keys and passwords in URLs, and BIP-39 mnemonics.
 */
export function scrubString(text: string): string {
  // This runs on every log message and span attribute: most strings are short and hold
  // none of the shapes, so each replacement runs only behind a cheap test of its own.
  // A value typed as a string may be anything at run time (a span named 42): left as is.
  if (typeof text !== 'string' || text.length < 8) return text;
  let out = text;
  if (out.includes('://')) out = out.replace(URL_IN_TEXT, (url) => scrubUrl(url));
  if (AUTH_TRIGGER.test(out)) out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  if (out.length >= 64) out = out.replace(PRIVATE_KEY, REDACTED);
  if (out.length >= MNEMONIC_MIN_LENGTH) out = out.replace(WORD_RUN, redactMnemonics);
  return out;
}

/** Options of `scrubValue`. */
export interface ScrubOptions {
  /** Deeper values become `[Truncated]`. @default 8 */
  readonly maxDepth?: number;
  /** Longer strings are cut. @default 16384 */
  readonly maxStringLength?: number;
}

/**
 * A deep copy of `value` with secrets replaced: values under secret keys, and secret
 * shapes inside strings. Cycles become `[Circular]`; keys are kept. Never throws.
 */
export function scrubValue(value: unknown, options: ScrubOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? 8;
  const maxLen = options.maxStringLength ?? 16384;
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrubString(v.length > maxLen ? `${v.slice(0, maxLen)}...[truncated]` : v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    if (depth >= maxDepth) return '[Truncated]';
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
      if (v instanceof Error) {
        const out: Record<string, unknown> = { name: v.name, message: walk(v.message, depth + 1) };
        if (v.stack) out.stack = walk(v.stack, depth + 1);
        for (const [k, item] of Object.entries(v)) out[k] = isSecretKey(k) ? REDACTED : walk(item, depth + 1);
        return out;
      }
      if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        if (isSecretKey(k) && item !== undefined && item !== null) out[k] = REDACTED;
        else if (typeof item === 'string' && HASH_VALUE.test(item) && isHashKey(k)) out[k] = item;
        else out[k] = walk(item, depth + 1);
      }
      return out;
    } catch {
      return '[Unserializable]';
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}

/**
 * Scrubs a map of attributes in place, by the rules `scrubValue` copies an object with:
 * a value under a secret-named key is replaced, a hash under a key ending in "hash" is
 * kept, other strings lose their secret shapes, and nested objects and arrays are
 * replaced by scrubbed copies. Keys in `safe` hold values safe by construction and are
 * not looked at. For span and log-record attributes, which nothing reads before export.
 */
export function scrubAttributesInPlace(attributes: Record<string, unknown>, safe?: ReadonlySet<string>): void {
  for (const key in attributes) {
    if (safe?.has(key)) continue;
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    if (isSecretKey(key)) attributes[key] = REDACTED;
    else if (typeof value === 'string') {
      if (HASH_VALUE.test(value) && isHashKey(key)) continue;
      const scrubbed = scrubString(value);
      if (scrubbed !== value) attributes[key] = scrubbed;
    } else if (typeof value === 'object') attributes[key] = scrubValue(value);
  }
}
