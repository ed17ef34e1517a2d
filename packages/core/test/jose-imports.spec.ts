/**
 * `jose` 6 is ESM-only. Every sockauth package loads its values through `@sockauth/core/jose` (core's own files:
 * `./jose.js`), whose CommonJS build falls back to a bundled copy where `require('jose')` cannot load an ES module
 * (jest's CommonJS runtime). One direct value import in a CommonJS build is enough to break users' jest set-ups
 * (test/packaging/user-test-setups.spec.ts shows it from the tarballs; this finds it at once, by file).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const PACKAGES = join(__dirname, '..', '..');
const JOSE_MODULE = join(PACKAGES, 'core', 'src', 'jose.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('only core/src/jose.ts imports values from jose; everything else goes through it', () => {
  const offenders: string[] = [];
  for (const pkg of readdirSync(PACKAGES)) {
    let files: string[];
    try {
      files = sourceFiles(join(PACKAGES, pkg, 'src'));
    } catch {
      continue; // no src/
    }
    for (const file of files) {
      if (file === JOSE_MODULE) continue;
      const source = readFileSync(file, 'utf8');
      // `import … from 'jose'`, `from 'jose/…'`, `export … from 'jose'`, `require('jose')`, `import('jose')`; type-only ones are erased.
      const statements = source.match(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s*['"]jose(?:\/[^'"]*)?['"]|(?:require|import)\(\s*['"]jose(?:\/[^'"]*)?['"]\s*\)/g) ?? [];
      for (const statement of statements) {
        if (/^\s*(?:import|export)\s+type\b/.test(statement.trim())) continue;
        offenders.push(`${relative(PACKAGES, file)}: ${statement.trim().split('\n')[0]}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});
