// The package as npm packs it and as a TypeScript consumer resolves it. Needs a build (dist).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('the packed package', () => {
  const packed = () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
  };

  it('holds the builds, types, bin, README and LICENSE, and nothing of the repository besides', () => {
    const files = packed();
    for (const file of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/testing.js',
      'dist/testing.cjs',
      'dist/testing.d.ts',
      'dist/testing.d.cts',
      'dist/cli.js',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(files).toContain(file);
    }
    expect(
      files.filter((f) => !f.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(f)),
    ).toEqual([]);
    // The bin is the ESM build; its CommonJS twin would be dead weight.
    expect(files).not.toContain('dist/cli.cjs');
  });

  it('is built before it is packed (npm pack and npm publish run prepack)', () => {
    expect(manifest.scripts.prepack).toBe('npm run build');
    expect(manifest.scripts.build).toBe('tsup');
  });

  it("has a lockfile npm ci accepts: every package's optional platform packages are in it", () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const missing: string[] = [];
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // npm resolves a dependency in the nearest node_modules up from the package that needs it.
        const places = at
          .split('/node_modules/')
          .map((_, i, parts) => [...parts.slice(0, i + 1), name].join('/node_modules/'));
        const found = [`node_modules/${name}`, ...places].some((place) => place in lock.packages);
        if (!found) missing.push(`${name} (for ${at || 'the project'})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('takes its dependencies by range, so an app on another minor of zod/openai/xstate shares one copy', () => {
    for (const name of ['zod', 'openai', 'xstate', 'rxjs'])
      expect(manifest.dependencies[name]).toMatch(/^\^/);
  });

  it('declares types that import only xstate, zod, openai and rxjs', () => {
    const allowed = new Set(['xstate', 'zod', 'openai', 'rxjs', 'statecrew']);
    for (const file of ['index.d.ts', 'index.d.cts', 'testing.d.ts', 'testing.d.cts']) {
      const text = readFileSync(join(root, 'dist', file), 'utf8');
      const packages = [...text.matchAll(/from '([^'.][^'/]*)/g)].map((m) => m[1]);
      expect(packages.filter((name) => !allowed.has(name))).toEqual([]);
    }
  });
});

describe('a TypeScript consumer', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A project whose node_modules/statecrew is this package; tsc --noEmit over `source` with `options`. */
  function typecheck(options: Record<string, unknown>, source: string, type: 'module' | 'commonjs'): string {
    const dir = mkdtempSync(join(tmpdir(), 'statecrew-consumer-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'statecrew'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }));
    writeFileSync(join(dir, 'app.ts'), source);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // A Node app: @types/node, no DOM lib.
          typeRoots: [join(root, 'node_modules/@types')],
          types: ['node'],
          ...options,
        },
        files: ['app.ts'],
      }),
    );
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        encoding: 'utf8',
      });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout);
    }
  }

  const app = `
    import { Agent, Crew, Task, createCrewInspector } from 'statecrew';
    import { ScriptedLLM } from 'statecrew/testing';
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['ok']) });
    const crew = new Crew({ agents: [agent], tasks: [new Task({ description: 'd', expectedOutput: 'e', agent })] });
    const inspector = createCrewInspector({ url: 'ws://127.0.0.1:1', filter: (m) => m.type !== '@xstate.event' });
    export const run = () => crew.kickoff({}, { inspect: inspector.inspect });
  `;

  it('compiles as CommonJS under node16 resolution, without the DOM lib or skipLibCheck', () => {
    const errors = typecheck(
      { module: 'node16', moduleResolution: 'node16', lib: ['es2023'], target: 'es2022' },
      app,
      'commonjs',
    );
    expect(errors).toBe('');
  }, 60_000);

  it('finds statecrew/testing under the old node10 resolution too', () => {
    const errors = typecheck(
      {
        module: 'commonjs',
        moduleResolution: 'node10',
        lib: ['es2023'],
        target: 'es2022',
        esModuleInterop: true,
      },
      app,
      'commonjs',
    );
    expect(errors).toBe('');
  }, 60_000);
});
