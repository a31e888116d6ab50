#!/usr/bin/env node
// A test "browser" for BROWSER=…: loads the URL it is given, following redirects (the authorization server's straight
// to the loopback callback), and writes the page it ends on as JSON {status, body} to BROWSER_PAGE_FILE.
import { writeFileSync } from 'node:fs';

const response = await fetch(process.argv[2]);
const page = { status: response.status, body: await response.text() };
writeFileSync(process.env.BROWSER_PAGE_FILE, JSON.stringify(page));
