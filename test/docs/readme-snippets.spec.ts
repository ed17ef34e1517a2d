/**
 * README code that claims to be a file must be that file, so the examples users copy are the ones CI runs.
 * A snippet is marked by `<!-- snippet: path -->` on the line before its code fence.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MARKER = /<!-- snippet: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;

function readmes(): string[] {
  const packages = readdirSync(join(ROOT, 'packages')).map((name) => join('packages', name, 'README.md'));
  return ['README.md', ...packages].filter((path) => {
    try {
      readFileSync(join(ROOT, path));
      return true;
    } catch {
      return false;
    }
  });
}

const snippets = readmes().flatMap((readme) =>
  [...readFileSync(join(ROOT, readme), 'utf8').matchAll(MARKER)].map((match) => ({ readme, path: match[1]!, code: match[2]! })),
);

test('the README has snippets that are checked against files', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(2);
});

test.each(snippets.map((s) => [`${s.readme} → ${s.path}`, s] as const))('%s is the file, verbatim', (_name, snippet) => {
  const file = readFileSync(join(ROOT, snippet.path), 'utf8');
  expect(snippet.code.trimEnd()).toBe(file.trimEnd());
});
