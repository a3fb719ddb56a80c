// Whether the namespace tests run: in CI (CI=true) they must, so missing
// support fails loudly there; elsewhere they skip with the reason.
import { netnsSupport } from '../helpers/harness';

const support = netnsSupport();
const inCi = process.env.CI === 'true' || process.env.CI === '1';

if (!support.ok) {
  if (inCi) {
    throw new Error(`CI=true but network namespace tests cannot run: ${support.reason}`);
  }
  console.warn(`[tcp-keepalive] skipping network-namespace tests: ${support.reason}`);
}

/** True when namespace tests can run here. */
export const canUseNetns = support.ok;
