/**
 * dfp.lock.json itself: one canonical text for the same pins whatever order they were
 * added in, a strict reader whose errors name the file, and a write that leaves no
 * temporary file behind.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockFileError, formatLock, readLock, writeLock } from '../constructs/model/lock-file.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('dfp.lock.json', () => {
  it('has one text for the same pins: sorted keys, two-space indent, a final newline', () => {
    const one = formatLock({ version: 1, refs: { 'zeta@main': { commit: A }, 'alpha@dev': { commit: B } } });
    const other = formatLock({ refs: { 'alpha@dev': { commit: B }, 'zeta@main': { commit: A } }, version: 1 });
    expect(one).toBe(other);
    expect(one).toBe(
      `{\n  "refs": {\n    "alpha@dev": {\n      "commit": "${B}"\n    },\n    "zeta@main": {\n      "commit": ` +
        `"${A}"\n    }\n  },\n  "version": 1\n}\n`,
    );
  });

  it('reads a missing file as no pins, and refuses what is not a lock, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-lock-'));
    const file = join(dir, 'dfp.lock.json');
    expect(readLock(file)).toEqual({ version: 1, refs: {} });
    for (const [text, message] of [
      ['{', /dfp\.lock\.json is not valid JSON/],
      ['{"version": 2, "refs": {}}', /refs|version/],
      [
        `{"version": 1, "refs": {"kronodroid": {"commit": "${A}"}}}`,
        /refs\.kronodroid: 'kronodroid' is not <repository>@<branch>/,
      ],
      [`{"version": 1, "refs": {"kronodroid@main": {"commit": "${A}", "branch": "main"}}}`, /branch/],
    ] as const) {
      writeFileSync(file, text);
      expect(() => readLock(file)).toThrow(LockFileError);
      expect(() => readLock(file)).toThrow(message);
    }
  });

  it('writes through a temporary file and leaves only the lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfp-lock-'));
    const file = join(dir, 'dfp.lock.json');
    writeLock(file, { version: 1, refs: { 'kronodroid@main': { commit: A } } });
    expect(readdirSync(dir)).toEqual(['dfp.lock.json']);
    expect(readLock(file)).toEqual({ version: 1, refs: { 'kronodroid@main': { commit: A } } });
    expect(readFileSync(file, 'utf8')).toBe(formatLock(readLock(file)));
  });
});
