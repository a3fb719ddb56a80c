// The documents link only within the project: every relative link resolves
// to a file of the repository, every #anchor to one of its headings.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const documents = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(root, file), 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] as string)));
}

describe('links in the documents', () => {
  it.each(documents)('%s links only to files and headings of this repository', (doc) => {
    const text = readFileSync(path.join(root, doc), 'utf8');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = target as string;
      if (/^https?:\/\//.test(link)) continue;
      const [file, hash] = link.split('#') as [string, string | undefined];
      const resolved = file === '' ? doc : path.normalize(path.join(path.dirname(doc), file));
      if (resolved.startsWith('..') || !existsSync(path.join(root, resolved))) {
        broken.push(`${link} (no such file in the repository)`);
        continue;
      }
      if (hash !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash)) broken.push(`${link} (no such heading)`);
    }
    expect(broken).toEqual([]);
    expect(text).not.toMatch(/shared\/reference/);
  });
});
