#!/usr/bin/env node
// A test "browser" for BROWSER=…: signs in at the local oidc-provider over HTTP as the user in SIMULATED_LOGIN.
// It records each URL it was given (one per line) in SIMULATED_BROWSER_LOG when set. It runs the TypeScript source
// as Node runs it (types stripped), so that module imports only packages.
import { appendFileSync } from 'node:fs';
import { simulateUser } from '../../src/serve/simulated-user.ts';

const url = process.argv[2];
if (process.env.SIMULATED_BROWSER_LOG) appendFileSync(process.env.SIMULATED_BROWSER_LOG, `${url}\n`);
if (process.env.SIMULATED_BROWSER_MODE === 'ignore') process.exit(0);
try {
  await simulateUser(url, { login: process.env.SIMULATED_LOGIN ?? 'alice' });
} catch (error) {
  process.stderr.write(`simulated browser: ${error.message}\n`);
  process.exit(1);
}
