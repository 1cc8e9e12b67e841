/**
 * scripts/images/jks-cacerts.py, the JVM trust store of python-java-base, read by the JDK's
 * own keytool: every certificate of the root's /etc/ssl/certs/*.pem (links followed inside
 * the root, as in an image's file system), dated SOURCE_DATE_EPOCH, the store's integrity
 * checked with the password `changeit` (a wrong one is refused), and the same bytes from
 * the same certificates whatever the files' times or the order they were made in.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const WRITER = join(import.meta.dirname, '..', 'scripts/images/jks-cacerts.py');
const EPOCH = 1735689600; // 2025-01-01, the images' SOURCE_DATE_EPOCH
/** A few of the machine's CA certificates (Debian's ca-certificates), copied into test roots. */
const HOST_CERTS = '/usr/share/ca-certificates/mozilla';
const PICKED = readdirSync(HOST_CERTS)
  .filter((n) => n.endsWith('.crt'))
  .sort()
  .slice(0, 5);
const roots: string[] = [];

/** An image-like root: the certificates under usr/share, linked from etc/ssl/certs by absolute paths. */
function root(order: string[], mtime: number): string {
  const r = mkdtempSync(join(tmpdir(), 'dfp-jks-'));
  roots.push(r);
  mkdirSync(join(r, 'usr/share/ca-certificates/mozilla'), { recursive: true });
  mkdirSync(join(r, 'etc/ssl/certs'), { recursive: true });
  for (const n of order) {
    const file = join(r, 'usr/share/ca-certificates/mozilla', n);
    writeFileSync(file, readFileSync(join(HOST_CERTS, n)));
    utimesSync(file, mtime, mtime);
    symlinkSync(`/usr/share/ca-certificates/mozilla/${n}`, join(r, 'etc/ssl/certs', n.replace(/\.crt$/, '.pem')));
  }
  return r;
}

function write(r: string): Buffer {
  const out = spawnSync('python3', [WRITER, r, String(EPOCH)], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return readFileSync(join(r, 'etc/ssl/certs/java/cacerts'));
}

function keytool(store: string, password: string): { status: number | null; out: string } {
  const r = spawnSync('keytool', ['-list', '-keystore', store, '-storepass', password], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('jks-cacerts.py: the JVM trust store of python-java-base', () => {
  it('keytool reads every certificate, dated SOURCE_DATE_EPOCH, under the password changeit', () => {
    const r = root(PICKED, 1_000_000);
    write(r);
    const { status, out } = keytool(join(r, 'etc/ssl/certs/java/cacerts'), 'changeit');
    expect(status, out).toBe(0);
    expect(out).toContain('Keystore type: JKS');
    expect(out).toContain(`Your keystore contains ${PICKED.length} entries`);
    expect(out.match(/trustedCertEntry/g)).toHaveLength(PICKED.length);
    expect(out).toContain('Jan 1, 2025');
    for (const n of PICKED) expect(out).toContain(`debian:${n.replace(/\.crt$/, '.pem').toLowerCase()},`);
  });

  it('a wrong password fails the integrity check', () => {
    const r = root(PICKED, 1_000_000);
    write(r);
    const { status, out } = keytool(join(r, 'etc/ssl/certs/java/cacerts'), 'not-changeit');
    expect(status).not.toBe(0);
    expect(out).toMatch(/tampered with, or password was incorrect/);
  });

  it('the same certificates give the same bytes, whatever their files’ times and order', () => {
    const a = write(root(PICKED, 1_000_000));
    const b = write(root([...PICKED].reverse(), 2_000_000_000));
    expect(b.equals(a)).toBe(true);
    const c = write(root(PICKED.slice(1), 1_000_000));
    expect(c.equals(a)).toBe(false);
  });

  it('a root with no certificate is refused', () => {
    const r = root([], 1_000_000);
    const out = spawnSync('python3', [WRITER, r, String(EPOCH)], { encoding: 'utf8' });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('no certificates in');
  });
});
