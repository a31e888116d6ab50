// The directions of the source tree (docs: the shape is thin commands over flows, flows over a protocol core): the
// flows and the protocol core know nothing of the terminal or the command line, a command needs no other command, and
// no module imports itself back through others.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * Files directly in src/commands/ that are not commands: the context, the registry, the commands' names and how
 * commands are defined.
 */
const NOT_COMMANDS = new Set(['commander.ts', 'context.ts', 'define.ts', 'globals.ts', 'index.ts', 'names.ts']);

/** The commands' names import nothing: the code cache may know them (it names its files after them). */
const COMMAND_NAMES = 'src/commands/names.ts';

/** Modules that may not know about the terminal or the command line. */
const CORE = ['oauth', 'jwt', 'check'];
const FORBIDDEN_IN_CORE = [/^src\/commands\//, /^src\/term\//, /^src\/cli\.ts$/];
const FORBIDDEN_PACKAGES_IN_CORE = [/^commander$/, /^chalk$/, /^@inquirer\//, /^(node:)?process$/];

interface SourceFile {
  /** Relative to the repository: src/oauth/connect.ts. */
  path: string;
  text: string;
  /** Every module it imports, type-only imports and dynamic imports included: relative paths resolved, packages as named. */
  imports: string[];
}

function sourceFiles(directory = SRC): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Comments out, so that words in them are not taken for code. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function read(path: string): SourceFile {
  const text = readFileSync(path, 'utf8');
  const code = withoutComments(text);
  const imports = [...code.matchAll(IMPORT)].map(([, specifier]) =>
    specifier!.startsWith('.')
      ? relative(ROOT, resolve(dirname(path), specifier!.replace(/\.js$/, '.ts'))).replaceAll('\\', '/')
      : specifier!,
  );
  return { path: relative(ROOT, path).replaceAll('\\', '/'), text: code, imports };
}

const files = sourceFiles().map(read);

function isCommand(path: string): boolean {
  const match = /^src\/commands\/([^/]+\.ts)$/.exec(path);
  return match !== null && !NOT_COMMANDS.has(match[1]!);
}

describe('the source tree', () => {
  it('finds the modules it checks', () => {
    expect(files.some((file) => file.path === 'src/oauth/connect.ts')).toBe(true);
    expect(files.filter((file) => isCommand(file.path)).length).toBeGreaterThan(10);
  });

  it('src/oauth, src/jwt and src/check import nothing of the commands, the terminal, the CLI or process', () => {
    const offences: string[] = [];
    for (const file of files) {
      if (!CORE.some((folder) => file.path.startsWith(`src/${folder}/`))) continue;
      for (const target of file.imports) {
        if (FORBIDDEN_IN_CORE.some((pattern) => pattern.test(target))) offences.push(`${file.path} imports ${target}`);
        if (FORBIDDEN_PACKAGES_IN_CORE.some((pattern) => pattern.test(target)))
          offences.push(`${file.path} imports ${target}`);
      }
      // Loading a built-in module on first use (process.getBuiltinModule) reads nothing of the process's state.
      if (/(?<![\w.$'"])process\s*(?:\.(?!getBuiltinModule\()|\[)/.test(file.text))
        offences.push(`${file.path} uses the global process`);
    }
    expect(offences).toEqual([]);
  });

  it('no module reaches back up into the commands: only the CLI imports them (any may know their names)', () => {
    const offences = files
      .filter((file) => !file.path.startsWith('src/commands/') && file.path !== 'src/cli.ts')
      .flatMap((file) =>
        file.imports
          .filter((target) => target.startsWith('src/commands/') && target !== COMMAND_NAMES)
          .map((target) => `${file.path} imports ${target}`),
      );
    expect(offences).toEqual([]);
  });

  it('the commands’ names import nothing', () => {
    expect(files.find((file) => file.path === COMMAND_NAMES)?.imports).toEqual([]);
  });

  it('every command stands alone: no command module imports another, nor the CLI that runs it', () => {
    const offences = files
      .filter((file) => isCommand(file.path))
      .flatMap((file) =>
        file.imports
          .filter((target) => isCommand(target) || target === 'src/cli.ts')
          .map((target) => `${file.path} imports ${target}`),
      );
    expect(offences).toEqual([]);
  });

  it('no module imports itself back through others (at run time)', async () => {
    // esbuild drops type-only imports, so the graph is the one that runs; dynamic imports count as edges.
    const result = await build({
      entryPoints: files.map((file) => join(ROOT, file.path)),
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: join(ROOT, 'dist-architecture-check'),
      logLevel: 'silent',
    });
    const graph = new Map<string, string[]>();
    for (const [path, input] of Object.entries(result.metafile.inputs)) {
      if (!path.startsWith('src/')) continue;
      graph.set(
        path,
        input.imports.filter((edge) => !edge.external && edge.path.startsWith('src/')).map((edge) => edge.path),
      );
    }
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });
});

/** Each strongly connected component of more than one module (or a module importing itself), as a list of paths. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}
