// Runs after every test file (vitest setupFiles): the CLI must not have printed any secret the test authorization
// server issued or received.
import { afterAll, expect } from 'vitest';
import { findLeaks } from '../helpers/leak-scan.js';

afterAll(() => {
  expect(findLeaks()).toEqual([]);
});
