// The image runs `npm ci` on the Node the Dockerfile names, and so does CI: every locked package
// must accept that Node, or npm warns EBADENGINE and the package may use what Node 20 lacks.
import { readFileSync } from 'node:fs';
import test from 'ava';
import semver from 'semver';

const ROOT = new URL('../../', import.meta.url);
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const dockerfile = readFileSync(new URL('docker/Dockerfile', ROOT), 'utf8');

test('the Dockerfile runs the Node major these tests run on', (t) => {
  const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
  t.true(majors.length > 0);
  t.deepEqual(new Set(majors), new Set([semver.major(process.version)]));
});

test('every package in package-lock.json accepts this Node', (t) => {
  const refused = Object.entries(lock.packages)
    .map(([path, p]) => ({ path, version: p.version, node: Array.isArray(p.engines) ? undefined : p.engines?.node }))
    .filter((p) => p.path !== '' && p.node !== undefined && !semver.satisfies(process.version, p.node));
  t.deepEqual(refused, [], `pin versions that accept Node ${process.version}`);
});
