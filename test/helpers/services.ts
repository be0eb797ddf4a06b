/** The Redis and PostgreSQL that .ci/services.sh starts on loopback (override with the same variables). */
export const TEST_REDIS_URL = process.env.TWINKLE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
export const TEST_DATABASE_URL = process.env.TWINKLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5433/twinkle';
