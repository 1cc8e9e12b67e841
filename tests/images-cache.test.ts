/**
 * The archive cache of `make images` (scripts/images/cache.sh, archive-for): one archive per
 * image and set of inputs, `$DFP_CACHE/images/<name>/<key>.tar` with `<key>.digest` beside
 * it, so builds from different inputs (branches, CI clones on one machine) coexist; the
 * DFP_IMAGES_KEEP archives used last stay; the flat layout of before is moved in once (its
 * flat links removed); and
 * archive-for finds the archive holding the digest dist/ names, or says what to build.
 * The archives are real OCI archives of tiny images buildah builds FROM scratch (a few KB);
 * the images of `make images` are not built here.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run } from './support/process.ts';

const CACHE_SH = join(ROOT, 'scripts', 'images', 'cache.sh');
const ARCHIVE_FOR = join(ROOT, 'scripts', 'images', 'archive-for');
const REF = 'registry.dfp.internal/dfp/cache-fixture:1.0.0';
const LOCAL = 'localhost/dfp-test/cache-fixture';
const hasBuildah = spawnSync('buildah', ['--version']).status === 0;

let work: string;
let cache: string;
const images = (): string => join(cache, 'images');
const env = (keep?: number): Record<string, string> => ({
  DFP_CACHE: cache,
  ...(keep ? { DFP_IMAGES_KEEP: String(keep) } : {}),
});

/** A real OCI archive of REF: an image FROM scratch holding one file with `content`. */
function fixture(content: string): string {
  const dir = mkdtempSync(join(work, 'ctx-'));
  writeFileSync(join(dir, 'f'), content);
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY f /f\n');
  const tag = `${LOCAL}:${content.replace(/[^a-z0-9]/g, '')}`;
  const bud = run('buildah', [
    'bud',
    '-q',
    '--layers=false',
    '--identity-label=false',
    '--timestamp',
    '0',
    '-t',
    tag,
    dir,
  ]);
  expect(bud.status, bud.stderr).toBe(0);
  const archive = join(dir, 'image.tar');
  const push = run('buildah', ['push', '--quiet', tag, `oci-archive:${archive}:${REF}`]);
  expect(push.status, push.stderr).toBe(0);
  run('buildah', ['rmi', tag]);
  return archive;
}

const put = (key: string, archive: string, keep?: number) =>
  run(CACHE_SH, ['put', 'cache-fixture', key, REF, archive], { env: env(keep) });
const get = (key: string, keep?: number) => run(CACHE_SH, ['get', 'cache-fixture', key], { env: env(keep) });
const archiveFor = (...args: string[]) => run(ARCHIVE_FOR, args, { env: env() });
const keys = (): string[] =>
  readdirSync(join(images(), 'cache-fixture'))
    .filter((f) => f.endsWith('.tar'))
    .map((f) => f.replace(/\.tar$/, ''))
    .sort();

describe.skipIf(!hasBuildah)('images: the archive cache, keyed by inputs', () => {
  const digests: Record<string, string> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'dfp-images-cache-'));
    cache = join(work, 'cache');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('keeps the archives of two sets of inputs side by side, each with its digest', () => {
    const a = put('aaaa', fixture('one'));
    expect(a.status, a.stderr).toBe(0);
    digests.aaaa = a.stdout.trim();
    const b = put('bbbb', fixture('two'));
    expect(b.status, b.stderr).toBe(0);
    digests.bbbb = b.stdout.trim();
    expect(digests.aaaa).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digests.bbbb).not.toBe(digests.aaaa);
    expect(keys()).toEqual(['aaaa', 'bbbb']);
    for (const k of ['aaaa', 'bbbb']) {
      expect(readFileSync(join(images(), 'cache-fixture', `${k}.digest`), 'utf8')).toBe(`${REF} ${digests[k]}\n`);
    }
    expect(a.stderr + b.stderr).not.toMatch(/removed/);
  });

  it('finds the archive of inputs built before (a hit: nothing moved or built), and a miss for others', () => {
    const tar = join(images(), 'cache-fixture', 'aaaa.tar');
    const before = statSync(tar);
    const hit = get('aaaa');
    expect(hit.status, hit.stderr).toBe(0);
    expect(hit.stdout.trim()).toBe(tar);
    expect(statSync(tar).ino).toBe(before.ino);
    expect(statSync(tar).mtimeMs).toBe(before.mtimeMs);
    // No flat names beside the keyed layout (readers find archives by digest: archive-for).
    for (const flat of ['cache-fixture.tar', 'cache-fixture.key', 'cache-fixture.digest'])
      expect(existsSync(join(images(), flat)), flat).toBe(false);
    expect(get('cccc').status).toBe(1);
  });

  it('keeps the DFP_IMAGES_KEEP archives used last and names the ones it deletes', () => {
    // Used last: aaaa (the hit above), then bbbb before it; a third build drops bbbb.
    const c = put('cccc', fixture('three'));
    expect(c.status, c.stderr).toBe(0);
    digests.cccc = c.stdout.trim();
    expect(keys()).toEqual(['aaaa', 'cccc']);
    expect(c.stderr).toMatch(
      new RegExp(`images: cache-fixture: removed .*/cache-fixture/bbbb\\.tar \\(\\d+ MB, ${digests.bbbb}\\)`),
    );
    expect(existsSync(join(images(), 'cache-fixture', 'bbbb.digest'))).toBe(false);
    // With DFP_IMAGES_KEEP=3 a fourth set of inputs removes nothing; with 1, all but the one used.
    const d = put('dddd', fixture('four'), 3);
    expect(d.stderr).not.toMatch(/removed/);
    expect(keys()).toEqual(['aaaa', 'cccc', 'dddd']);
    const one = get('cccc', 1);
    expect(one.status, one.stderr).toBe(0);
    expect(keys()).toEqual(['cccc']);
    expect(one.stderr.match(/removed/g)).toHaveLength(2);
    expect(
      run(CACHE_SH, ['get', 'cache-fixture', 'cccc'], { env: { DFP_CACHE: cache, DFP_IMAGES_KEEP: '0' } }).stderr,
    ).toMatch(/DFP_IMAGES_KEEP=0: want a whole number of archives per image, 1 or more/);
  });

  it('archive-for prints the archive holding the digest dist/ names, or says which image to build', () => {
    const found = archiveFor(`${REF}@${digests.cccc}`);
    expect(found.status, found.stderr).toBe(0);
    expect(found.stdout).toBe(`${join(images(), 'cache-fixture', 'cccc.tar')}\n`);
    const gone = archiveFor(`${REF}@${digests.aaaa}`);
    expect(gone.status).toBe(1);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toBe(
      `archive-for: no archive of cache-fixture with ${digests.aaaa} in ${join(images(), 'cache-fixture')}/ ` +
        '(dist/ names it); build it: make images IMAGES=cache-fixture\n',
    );
    const both = archiveFor(`${REF}@${digests.aaaa}`, `${REF}@${digests.cccc}`);
    expect(both.status).toBe(1);
    expect(both.stdout).toBe(found.stdout);
    const byTag = archiveFor(REF);
    expect(byTag.status).toBe(1);
    expect(byTag.stderr).toMatch(
      new RegExp(
        /^archive-for: registry.dfp.internal\/dfp\/cache-fixture:1.0.0 /.source +
          /is not registry.dfp.internal\/dfp\/<name>:<tag>@sha256:<64 /.source +
          /hex digits>/.source,
      ),
    );
  });

  it('moves the flat layout of before into <name>/<key>.* once: the same file, not a copy', () => {
    const flat = join(images(), 'old-image.tar');
    const archive = fixture('old');
    run('mv', [archive, flat]);
    const digest = run(join(ROOT, 'scripts', 'images', 'oci-digest.sh'), [flat]).stdout.trim();
    writeFileSync(join(images(), 'old-image.key'), 'eeee\n');
    writeFileSync(join(images(), 'old-image.digest'), `registry.dfp.internal/dfp/old-image:1 ${digest}\n`);
    const ino = statSync(flat).ino;
    const m = run(CACHE_SH, ['migrate'], { env: env() });
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).toContain(`images: old-image: moved ${flat} to ${join(images(), 'old-image', 'eeee.tar')}`);
    expect(statSync(join(images(), 'old-image', 'eeee.tar')).ino).toBe(ino);
    for (const f of [flat, join(images(), 'old-image.key'), join(images(), 'old-image.digest')])
      expect(existsSync(f), f).toBe(false);
    const found = archiveFor(`registry.dfp.internal/dfp/old-image:1@${digest}`);
    expect(found.stdout.trim(), found.stderr).toBe(join(images(), 'old-image', 'eeee.tar'));
    // Once: nothing is left to move, and the archive is still there.
    const again = run(CACHE_SH, ['migrate'], { env: env() });
    expect(again.stderr).toBe('');
    expect(statSync(join(images(), 'old-image', 'eeee.tar')).ino).toBe(ino);
    // The flat links an earlier cache.sh kept (<name>.tar -> <name>/<key>.tar, .key, .digest)
    // are removed, not the archive they point at.
    mkdirSync(join(images(), 'linked'));
    linkSync(join(images(), 'old-image', 'eeee.tar'), join(images(), 'linked', 'ffff.tar'));
    symlinkSync('linked/ffff.tar', join(images(), 'linked.tar'));
    writeFileSync(join(images(), 'linked.key'), 'ffff\n');
    writeFileSync(join(images(), 'linked.digest'), `registry.dfp.internal/dfp/linked:1 ${digest}\n`);
    const links = run(CACHE_SH, ['migrate'], { env: env() });
    expect(links.stderr).toBe(
      `images: linked: removed the flat names ${join(images(), 'linked.tar')}, linked.key, linked.digest ` +
        '(readers use archive-for)\n',
    );
    for (const f of ['linked.tar', 'linked.key', 'linked.digest'])
      expect(lstatSync(join(images(), f), { throwIfNoEntry: false }), f).toBeUndefined();
    expect(statSync(join(images(), 'linked', 'ffff.tar')).ino).toBe(ino);
    expect(statSync(join(images(), 'old-image', 'eeee.tar')).ino).toBe(ino);
    // A flat archive without its key (a build of before still writing) stays where it is.
    writeFileSync(join(images(), 'half.tar'), 'partial');
    expect(run(CACHE_SH, ['migrate'], { env: env() }).stderr).toBe('');
    expect(lstatSync(join(images(), 'half.tar')).isFile()).toBe(true);
  });
});

describe('images: the key of an image is the hash of its inputs (scripts/images/inputs.py)', () => {
  const INPUTS = join(ROOT, 'scripts', 'images', 'inputs.py');

  const coversCopies =
    'covers what a Containerfile copies from elsewhere in images/ (images/spark-jars), ' +
    'and only for the images that copy it';
  it(coversCopies, () => {
    const root = mkdtempSync(join(tmpdir(), 'dfp-images-inputs-'));
    try {
      const write = (rel: string, text: string) => {
        spawnSync('mkdir', ['-p', join(root, rel, '..')]);
        writeFileSync(join(root, rel), text);
      };
      write('.dockerignore', '*/tests\n');
      write('dfp_tools/dfp_tools/__init__.py', '');
      write('shared/jars.txt', 'abc a.jar\n');
      write('shared/README.md', 'not copied\n');
      write('a/Containerfile', 'FROM localhost/dfp/python-base:bookworm\nCOPY shared/jars.txt a/x.py /opt/dfp/\n');
      write('a/x.py', '');
      write('b/Containerfile', 'FROM localhost/dfp/python-base:bookworm\nCOPY b/x.py /opt/dfp/\n');
      write('b/x.py', '');
      const key = (name: string) => {
        const r = run('python3', [INPUTS, root, name, 'base-digest']);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout.trim();
      };
      const before = { a: key('a'), b: key('b') };
      write('shared/README.md', 'changed, still not copied\n');
      expect({ a: key('a'), b: key('b') }).toEqual(before);
      write('shared/jars.txt', 'def a.jar\n');
      expect(key('a')).not.toBe(before.a);
      expect(key('b')).toBe(before.b);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
