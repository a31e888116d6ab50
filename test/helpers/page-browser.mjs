#!/usr/bin/env node
// A test "browser" for BROWSER=…: loads the URL it is given, following redirects (the authorization server's straight
// to the loopback callback), and writes the page it ends on as JSON {status, body} to BROWSER_PAGE_FILE — whole, by a
// rename, so a test that sees the file reads all of it.
import { renameSync, writeFileSync } from 'node:fs';

const response = await fetch(process.argv[2]);
const page = { status: response.status, body: await response.text() };
const file = process.env.BROWSER_PAGE_FILE;
writeFileSync(`${file}.partial`, JSON.stringify(page));
renameSync(`${file}.partial`, file);
