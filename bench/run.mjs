// npm run bench: start-up, cache and throughput of the built CLI, measured as whole runs on this machine.
// Alternating rounds, medians, ratios against `node -e 0` in the same run, and against a compiled JWT tool when one is
// installed (Debian's `jwt`, golang-jwt's CLI). A benchmark, not a test: it prints what it measured.
// OAUTH_BENCH_SMOKE=1 runs a few rounds on small inputs, to check that it works (CI does that).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';

const smoke = process.env.OAUTH_BENCH_SMOKE === '1';
const ROUNDS = smoke ? 3 : Number(process.env.OAUTH_BENCH_ROUNDS ?? 40);
const TOKENS = smoke ? 300 : 10_000;
const COMPILED_TOKENS = smoke ? 20 : 200;
const BIN = fileURLToPath(new URL('../bin/oauth.js', import.meta.url));
const NODE = process.execPath;

const home = mkdtempSync(join(tmpdir(), 'oauth-bench-'));
const env = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  XDG_CACHE_HOME: join(home, 'cache'),
  OAUTH_STORE: 'file',
};

// Keys and tokens made here.
const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const jwksFile = join(home, 'jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
const pemFile = join(home, 'public.pem');
writeFileSync(pemFile, await jose.exportSPKI(publicKey));
const now = Math.floor(Date.now() / 1000);
const sign = (sub) =>
  new jose.SignJWT({ scope: 'api:read', client_id: 'bench' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'at+jwt' })
    .setIssuer('https://issuer.bench')
    .setAudience('api')
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(`jti-${sub}`)
    .sign(privateKey);
const token = await sign('alice');
const tokens = await Promise.all(Array.from({ length: TOKENS }, (_, index) => sign(`user-${index}`)));
const tokensFile = join(home, 'tokens.txt');
writeFileSync(tokensFile, `${tokens.join('\n')}\n`);

// A signed-in profile whose access token is fresh: `oauth token` must answer it from the store. The issuer is a port
// nothing listens on, so any request at all would fail the run.
const deadPort = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
mkdirSync(join(home, 'config', 'oauth'), { recursive: true });
mkdirSync(join(home, 'state', 'oauth'), { recursive: true });
writeFileSync(
  join(home, 'config', 'oauth', 'config.json'),
  JSON.stringify({ profiles: { default: { issuer: `http://127.0.0.1:${deadPort}`, client_id: 'bench' } } }),
);
const session = {
  version: 1,
  issuer: `http://127.0.0.1:${deadPort}`,
  client_id: 'bench',
  access_token: token,
  token_type: 'Bearer',
  expires_at: now + 3600,
  obtained_at: now,
  refresh_token: 'bench-refresh-token-0123456789',
};
writeFileSync(
  join(home, 'state', 'oauth', 'tokens.json'),
  JSON.stringify({ version: 1, entries: { 'profile:default': JSON.stringify(session) } }),
  { mode: 0o600 },
);

function run(argv, input) {
  const started = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), {
    env,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${argv.slice(1).join(' ').slice(0, 120)} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr.toString() };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// Floors, not ours: Node alone checking the bench token's RS256 signature, with no CLI, no jose and no claims checked.
// Any --verify pays at least this much, whichever of Node's two crypto APIs it uses.
const verifyFloor = (name, body) => {
  const file = join(home, name);
  const prelude = `const fs = require('node:fs');\nconst jwk = JSON.parse(fs.readFileSync(${JSON.stringify(jwksFile)}, 'utf8')).keys[0];\nconst [header, payload, signature] = ${JSON.stringify(token)}.split('.');\nconst signed = Buffer.from(header + '.' + payload);\n`;
  writeFileSync(file, `${prelude}${body}\n`);
  return file;
};
const webCryptoFloor = verifyFloor(
  'webcrypto-verify.cjs',
  `const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
crypto.subtle.importKey('jwk', jwk, rsa, false, ['verify'])
  .then((key) => crypto.subtle.verify(rsa, key, Buffer.from(signature, 'base64url'), signed))
  .then((valid) => { if (!valid) process.exit(1); });`,
);
const nodeCryptoFloor = verifyFloor(
  'node-crypto-verify.cjs',
  `const { createPublicKey, verify } = require('node:crypto');
if (!verify('sha256', signed, createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url'))) process.exit(1);`,
);

// 1. Start-up, alternating: every round runs each command once, in a rotated order.
const startup = [
  { name: 'node -e 0', argv: [NODE, '-e', '0'] },
  { name: 'node, one RS256 signature with WebCrypto, no CLI (floor for --verify)', argv: [NODE, webCryptoFloor] },
  { name: 'node, the same with node:crypto.verify, no CLI', argv: [NODE, nodeCryptoFloor] },
  { name: 'oauth --version', argv: [NODE, BIN, '--version'], target: 1.15 },
  { name: 'oauth --help', argv: [NODE, BIN, '--help'], target: 1.15 },
  { name: 'oauth decode <jwt>', argv: [NODE, BIN, 'decode', token], target: 1.15 },
  {
    name: 'oauth decode <jwt> --verify --jwks <file>',
    argv: [
      NODE,
      BIN,
      'decode',
      token,
      '--verify',
      '--jwks',
      jwksFile,
      '--issuer',
      'https://issuer.bench',
      '--audience',
      'api',
    ],
    target: 1.25,
  },
  { name: 'oauth token (from the store)', argv: [NODE, BIN, 'token'], target: 1.3 },
];
for (const scenario of startup) {
  scenario.times = [];
  run(scenario.argv); // warm the page cache and Node's compile cache
}
for (let round = 0; round < ROUNDS; round++) {
  for (let index = 0; index < startup.length; index++) {
    const scenario = startup[(index + round) % startup.length];
    scenario.times.push(run(scenario.argv).ms);
  }
}
const tokenTrace = run([NODE, BIN, 'token', '-vv']).stderr;
const tokenRequests = (tokenTrace.match(/^> (GET|POST) /gm) ?? []).length;
const baseline = median(startup[0].times);

// 2. Throughput: many tokens on stdin in one process, the key set fetched once, flat memory.
let jwksHits = 0;
const jwksServer = createServer((_request, response) => {
  jwksHits++;
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
});
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const jwksUrl = `http://127.0.0.1:${jwksServer.address().port}/jwks`;
const verifyArgs = (extra = []) => [
  NODE,
  BIN,
  'decode',
  '-',
  '--verify',
  '--jwks',
  jwksUrl,
  '--issuer',
  'https://issuer.bench',
  '--audience',
  'api',
  '--json',
  ...extra,
];
const streamRun = (input) =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(verifyArgs()[0], verifyArgs().slice(1), {
      env: { ...env, OAUTH_NO_CACHE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => (lines += chunk.toString().split('\n').length - 1));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, lines }) : reject(new Error(`exit ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });
jwksHits = 0;
const one = median(await sequence(5, () => streamRun(`${tokens[0]}\n`).then((result) => result.ms)));
jwksHits = 0;
const many = await streamRun(`${tokens.join('\n')}\n`);
const manyHits = jwksHits;
const oursPerToken = (many.ms - one) / (TOKENS - 1);

const keySet = jose.createLocalJWKSet({ keys: [publicJwk] });
for (const sample of tokens.slice(0, 200))
  await jose.jwtVerify(sample, keySet, { issuer: 'https://issuer.bench', audience: 'api' });
const joseStarted = performance.now();
for (const sample of tokens) await jose.jwtVerify(sample, keySet, { issuer: 'https://issuer.bench', audience: 'api' });
const josePerToken = (performance.now() - joseStarted) / TOKENS;

const rss = (count) => {
  const timeTool = '/usr/bin/time';
  if (!existsSync(timeTool)) return undefined;
  const input = `${Array.from({ length: count }, (_, index) => tokens[index % tokens.length]).join('\n')}\n`;
  const result = spawnSync(timeTool, ['-f', '%M', ...verifyArgs()], {
    env: { ...env, OAUTH_NO_CACHE: '1' },
    input,
    maxBuffer: 512 * 1024 * 1024,
  });
  return Number(result.stderr.toString().trim().split('\n').pop()) / 1024;
};
const rssSmall = rss(Math.max(1000, TOKENS / 10));
const rssLarge = rss(TOKENS * 4);
jwksServer.close();

// 3. Against a compiled tool that starts once per token.
let compiled;
const jwtTool = spawnSync('sh', ['-c', 'command -v jwt']).stdout.toString().trim();
if (jwtTool) {
  const sample = tokens.slice(0, COMPILED_TOKENS);
  const started = performance.now();
  for (const item of sample) {
    const result = spawnSync(jwtTool, ['-key', pemFile, '-alg', 'RS256', '-verify', '-'], { input: item });
    if (result.status !== 0) throw new Error(`jwt failed: ${result.stderr}`);
  }
  const compiledPerToken = (performance.now() - started) / sample.length;
  compiled = { tool: jwtTool, perToken: compiledPerToken };
}

rmSync(home, { recursive: true, force: true });

// The table.
const rows = [];
const check = (met) => (met ? 'yes' : '**no**');
for (const scenario of startup) {
  const value = median(scenario.times);
  const ratio = value / baseline;
  const isBaseline = scenario === startup[0];
  const target = scenario.target ? `≤ ${scenario.target}×` : isBaseline ? 'baseline' : 'reference';
  rows.push([
    scenario.name,
    `${value.toFixed(1)} ms`,
    `${ratio.toFixed(3)}×`,
    target,
    scenario.target ? check(ratio <= scenario.target) : '',
  ]);
}
rows.push([
  'oauth token: HTTP requests while answering from the store',
  String(tokenRequests),
  '',
  '0',
  check(tokenRequests === 0),
]);
rows.push([`verify ${TOKENS} tokens from stdin: JWKS fetches`, String(manyHits), '', '1', check(manyHits === 1)]);
// With few tokens (a smoke run) the difference between two runs can drown in start-up noise: say so, do not guess.
const measurable = oursPerToken > 0;
const perToken = (value) => (measurable ? `${(value * 1000).toFixed(1)} µs` : 'not measurable');
rows.push([
  `verify ${TOKENS} tokens from stdin: per token (after start-up)`,
  perToken(oursPerToken),
  measurable ? `${((josePerToken / oursPerToken) * 100).toFixed(0)}% of jose` : '',
  '≥ 80% of a bare jose loop',
  measurable ? check(josePerToken / oursPerToken >= 0.8) : 'n/a',
]);
rows.push(['bare jose jwtVerify loop, per token', `${(josePerToken * 1000).toFixed(1)} µs`, '', '', '']);
if (rssSmall !== undefined && rssLarge !== undefined) {
  rows.push([
    `peak memory, ${Math.max(1000, TOKENS / 10)} vs ${TOKENS * 4} tokens`,
    `${rssSmall.toFixed(0)} MB vs ${rssLarge.toFixed(0)} MB`,
    `${((rssLarge / rssSmall - 1) * 100).toFixed(0)}% more`,
    'flat (< 25% more)',
    check(rssLarge / rssSmall < 1.25),
  ]);
}
if (compiled) {
  rows.push([
    `per token, compiled ${compiled.tool} (a process per token)`,
    `${(compiled.perToken * 1000).toFixed(0)} µs`,
    '',
    '',
    '',
  ]);
  rows.push([
    'per token, oauth from the second token',
    perToken(oursPerToken),
    measurable ? `${(compiled.perToken / oursPerToken).toFixed(0)}× faster` : '',
    'faster than the compiled tool',
    measurable ? check(oursPerToken < compiled.perToken) : 'n/a',
  ]);
} else {
  rows.push(['compiled tool comparison', 'skipped', '', 'install Debian\u2019s jwt: apt-get install jwt', '']);
}

const widths = [0, 1, 2, 3, 4].map((column) =>
  Math.max(...rows.map((row) => row[column].length), ['measure', 'median', 'ratio', 'target', 'met'][column].length),
);
const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
const cpu = cpus()[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
console.log(
  `oauth bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${cpus().length} × ${cpu}, ${ROUNDS} alternating rounds${smoke ? ' (smoke run: small inputs, numbers not meaningful)' : ''}\n`,
);
console.log(line(['measure', 'median', 'ratio', 'target', 'met']));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(row));
const targets = rows.filter((row) => row[4] !== '' && row[4] !== 'n/a');
console.log(`\n${targets.filter((row) => row[4] === 'yes').length} of ${targets.length} targets met.`);

async function sequence(count, task) {
  const results = [];
  for (let index = 0; index < count; index++) results.push(await task());
  return results;
}
