/**
 * A failed synth leaves the previous dist/ untouched; an interrupted write is repaired;
 * files dfp no longer renders disappear. Invalid definitions through the CLI process are
 * tests/bad-input.test.ts; a process killed while writing is tests/crash-safety.test.ts;
 * here are the failures only the writer and the targets can provoke.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DfpError } from '../constructs/index.ts';
import { buildApp } from '../main.ts';
import { synthesize } from '../synth/synth.ts';
import { readTree, recoverInterruptedWrite, writeTree } from '../synth/writer.ts';
import { argoTarget } from '../targets/argo/index.ts';
import type { Target } from '../targets/types.ts';
import { distCopy, ROOT } from './support/process.ts';

describe('synth failing midway', () => {
  it('a target that throws after rendering other files writes nothing', () => {
    const dist = distCopy();
    const before = readTree(dist);
    const exploding: Target = {
      name: 'exploding',
      appliesTo: (env) => env.name === 'prod',
      render: () => {
        throw new Error('disk quota exceeded while rendering');
      },
    };
    expect(() => synthesize(buildApp(), { distDir: dist, targets: [argoTarget, exploding] })).toThrow(
      'disk quota exceeded',
    );
    expect(readTree(dist)).toEqual(before);
  });

  it('a render error is reported with the construct path, target and environment', () => {
    const dist = distCopy();
    const app = buildApp({ distDir: dist });
    const kronodroid = app.node.findChild('kronodroid-autoencoder');
    const train = kronodroid.node.findChild('train') as unknown as { props: { args: unknown[] } };
    // Refused by Argo ('{{') and by Kubeflow ('{{$'): the placeholder syntax of each.
    train.props.args.push('{{$.workflow.name}}');
    try {
      app.synth();
      expect.unreachable('synth should have failed');
    } catch (e) {
      expect(e).toBeInstanceOf(DfpError);
      expect((e as DfpError).message).toMatch(
        /kronodroid-autoencoder\/train: cannot render for \w+ in environment '\w+': args\[14\] contains '\{\{/,
      );
    }
    expect(readTree(dist)).toEqual(readTree(join(ROOT, 'dist')));
  });

  it('a write that fails halfway leaves the old tree, and the next run cleans up', () => {
    const dist = distCopy();
    const before = readTree(dist);
    // 'x' as a file and 'x/y' beneath it cannot both exist: the write fails partway.
    const impossible = new Map([
      ['a.yaml', 'a: 1\n'],
      ['x', 'file\n'],
      ['x/y', 'nested\n'],
    ]);
    // The failure is the one staged: making folder 'x' where file 'x' already is (any other error is a bug).
    expect(() => writeTree(dist, impossible)).toThrow(/EEXIST: file already exists, mkdir '.*\/x'/);
    expect(readTree(dist)).toEqual(before);
    writeTree(dist, new Map([['only.yaml', 'only: true\n']]));
    expect(existsSync(join(dirname(dist), '.dist.tmp'))).toBe(false);
    expect([...readTree(dist).keys()]).toEqual(['only.yaml']);
  });
});

describe('the writer', () => {
  const fresh = () => join(mkdtempSync(join(tmpdir(), 'dfp-writer-')), 'dist');

  it('removes files it no longer renders', () => {
    const dist = fresh();
    writeTree(
      dist,
      new Map([
        ['dev/argo/old.yaml', 'old: 1\n'],
        ['dev/argo/kept.yaml', 'kept: 1\n'],
      ]),
    );
    const diff = writeTree(dist, new Map([['dev/argo/kept.yaml', 'kept: 2\n']]));
    expect(diff).toEqual({ added: [], removed: ['dev/argo/old.yaml'], changed: ['dev/argo/kept.yaml'] });
    expect([...readTree(dist).entries()]).toEqual([['dev/argo/kept.yaml', 'kept: 2\n']]);
  });

  it('restores the old tree when a run died between its two renames', () => {
    const dist = fresh();
    writeTree(dist, new Map([['a.yaml', 'a: 1\n']]));
    renameSync(dist, join(dirname(dist), '.dist.old'));
    mkdirSync(join(dirname(dist), '.dist.tmp'));
    writeFileSync(join(dirname(dist), '.dist.tmp', 'half.yaml'), 'half');
    recoverInterruptedWrite(dist);
    expect([...readTree(dist).entries()]).toEqual([['a.yaml', 'a: 1\n']]);
    expect(existsSync(join(dirname(dist), '.dist.tmp'))).toBe(false);
    expect(existsSync(join(dirname(dist), '.dist.old'))).toBe(false);
  });

  it('keeps the new tree when a run died after swapping it in', () => {
    const dist = fresh();
    writeTree(dist, new Map([['new.yaml', 'new: 1\n']]));
    mkdirSync(join(dirname(dist), '.dist.old'));
    writeFileSync(join(dirname(dist), '.dist.old', 'old.yaml'), 'old: 1\n');
    recoverInterruptedWrite(dist);
    expect([...readTree(dist).keys()]).toEqual(['new.yaml']);
  });

  it('check mode writes nothing', () => {
    const dist = distCopy();
    writeFileSync(join(dist, 'dev', 'stray.yaml'), 'stray: true\n');
    const before = readTree(dist);
    const { diff } = synthesize(buildApp(), { distDir: dist, check: true });
    expect(diff.removed).toEqual(['dev/stray.yaml']);
    expect(readTree(dist)).toEqual(before);
  });
});
