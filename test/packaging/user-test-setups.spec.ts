/**
 * The "Jest and Vitest set-up" section of packages/testing/README.md, run as users run it: every project there
 * (jest + ts-jest and jest + @swc/jest in CommonJS, jest with native ES modules, Vitest) is built from the README's
 * own snippets, with the packed tarballs and the README's `npm install` lines, then `npm test` runs its test (a
 * real Socket.IO server with sockAuth, a token from createTestIssuer, connectAs and the matchers) and `tsc`
 * type-checks its TypeScript with a canary that fails if the matchers are missing or `any`.
 *
 * Snippets: `<!-- setup: install -->` before a block of `npm install` lines, `<!-- setup: <project>/<file> -->`
 * before a project file. The projects share one install (their node_modules link to it) to keep this bounded.
 * Needs `npm run build` first and the npm registry.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertBuilt,
  createProject,
  installInto,
  makeWorkDir,
  packPackages,
  removeWorkDir,
  run,
  withSockauthDependencies,
  INSTALL_TIMEOUT_MS,
  REPO_ROOT,
} from './support';

jest.setTimeout(180_000);

const README = path.join(REPO_ROOT, 'packages', 'testing', 'README.md');
const SNIPPET = /<!-- setup: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;
/** The set-ups the README must keep: removing one from the README must not silently stop testing it. */
const EXPECTED_PROJECTS = ['jest-esm', 'jest-swc', 'jest-ts-jest', 'vitest'];

interface Snippets {
  /** Package specs from the `npm install` lines, e.g. `jest`, `typescript@5`, `@sockauth/testing`. */
  installs: string[];
  /** Project name → file name → content. */
  projects: Map<string, Map<string, string>>;
}

function readSnippets(): Snippets {
  const installs = new Set<string>();
  const projects = new Map<string, Map<string, string>>();
  for (const [, target, code] of fs.readFileSync(README, 'utf8').matchAll(SNIPPET)) {
    if (target === 'install') {
      for (const line of code!.split('\n')) {
        const words = line.replace(/#.*/, '').trim().split(/\s+/);
        if (words[0] !== 'npm' || words[1] !== 'install') throw new Error(`not an npm install line in an install snippet: ${line}`);
        for (const word of words.slice(2)) if (!word.startsWith('-')) installs.add(word);
      }
      continue;
    }
    const [project, ...file] = target!.split('/');
    if (!projects.has(project!)) projects.set(project!, new Map());
    projects.get(project!)!.set(file.join('/'), `${code}\n`);
  }
  return { installs: [...installs], projects };
}

/**
 * A type-only file next to the project's test, with the test's own imports (so the same `expect`): a matcher
 * that is not declared is TS2339, and a matcher typed `any` leaves the @ts-expect-error unused. Not a test file.
 */
function typingCanary(testSource: string): string {
  const imports = testSource.split('\n').filter((line) => line.startsWith('import '));
  return `${imports.join('\n')}

export async function canary(): Promise<void> {
  await expect(Promise.resolve({})).toBeForbidden({ action: 'none' });
  await expect(Promise.resolve({})).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
  // @ts-expect-error not a sockauth error code: the matchers are typed, not any
  await expect(Promise.resolve({})).toBeRefusedWith('AUTH_NOPE');
}
`;
}

const snippets = readSnippets();
const projectNames = [...snippets.projects.keys()].sort();

describe('user test set-ups from the testing README, with the packed packages', () => {
  let workDir = '';
  let depsDir = '';

  beforeAll(() => {
    expect(projectNames).toEqual(EXPECTED_PROJECTS);
    const packages = withSockauthDependencies(snippets.installs.filter((spec) => spec.startsWith('@sockauth/')));
    assertBuilt(packages);
    workDir = makeWorkDir('user-test-setups');
    depsDir = path.join(workDir, 'node-modules-of-every-project');
    const packed = packPackages(packages, path.join(workDir, 'tarballs'));
    createProject(depsDir, 'commonjs');
    installInto(depsDir, [
      ...packages.map((pkg) => packed.get(pkg.name)!.tarball),
      ...snippets.installs.filter((spec) => !spec.startsWith('@sockauth/')),
    ]);
    for (const [name, files] of snippets.projects) {
      const dir = path.join(workDir, name);
      fs.mkdirSync(dir);
      for (const [file, content] of files) fs.writeFileSync(path.join(dir, file), content);
      fs.symlinkSync(path.join(depsDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    }
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => removeWorkDir(workDir));

  // jest and Vitest both exit non-zero when they find no test, so exit code 0 means the README test ran and passed.
  test.each(projectNames)('%s: `npm test` runs the README test and it passes', (name) => {
    run('npm', ['test'], path.join(workDir, name), { timeout: 120_000, env: { CI: 'true' } });
  });

  const typed = projectNames.filter((name) => snippets.projects.get(name)!.has('tsconfig.json'));
  test.each(typed)('%s: tsc type-checks the test and the matchers are typed on its `expect`', (name) => {
    const dir = path.join(workDir, name);
    const testFile = [...snippets.projects.get(name)!.keys()].find((file) => /\.test\.ts$/.test(file))!;
    fs.writeFileSync(path.join(dir, 'typing-canary.ts'), typingCanary(snippets.projects.get(name)!.get(testFile)!));
    run(process.execPath, [path.join(depsDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--noEmit'], dir, 120_000);
  });
});
