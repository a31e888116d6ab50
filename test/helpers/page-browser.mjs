#!/usr/bin/env node
// A test "browser" for BROWSER=…: loads the URL it is given, following redirects (the authorization server's straight
// to the loopback callback), and writes the page it ends on as JSON {status, body} to BROWSER_PAGE_FILE — whole, by a
// rename, so a test that sees the file reads all of it. A page that is one auto-submitted POST form (response_mode
// form_post) is submitted, as a browser running its script would.
import { renameSync, writeFileSync } from 'node:fs';

let response = await fetch(process.argv[2]);
let body = await response.text();
const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/i.exec(body);
if (form) {
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/name="([^"]+)" value="([^"]*)"/g)) fields.append(input[1], input[2]);
  response = await fetch(form[1], { method: 'POST', body: fields });
  body = await response.text();
}
const page = { status: response.status, body };
const file = process.env.BROWSER_PAGE_FILE;
writeFileSync(`${file}.partial`, JSON.stringify(page));
renameSync(`${file}.partial`, file);
