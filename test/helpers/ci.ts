// Whether this run is CI, where a missing tool (etcd, openssl, chromium) fails the
// suites that need it instead of skipping them. Any non-empty CI except "false" and
// "0" counts — CI systems set CI=true, CI=1 or CI=yes, and a typo must not silently skip.

/** True when `value` (default: the CI environment variable) asks for a CI run. */
export function isCi(value: string | undefined = process.env.CI): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}
