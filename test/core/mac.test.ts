import test from 'ava';
import { isGroupMac, macSpellings, parseMac, toMac } from '../../src/core/mac.ts';

test('parseMac reads every common spelling, in any case, as 12 lowercase hex digits', (t) => {
  for (const s of [
    'aa:bb:cc:0d:ee:ff', 'AA:BB:CC:0D:EE:FF', 'aa-bb-cc-0d-ee-ff', 'AA-BB-CC-0D-EE-FF', 'aabb.cc0d.eeff', 'AABB.CC0D.EEFF',
    'aabb-cc0d-eeff', 'aabb:cc0d:eeff', 'aabbcc-0deeff', 'aabbcc:0deeff', 'aabbcc0deeff', 'AaBbCc0DeEfF', '  aa:bb:cc:0d:ee:ff\t',
  ]) {
    t.is(parseMac(s), 'aabbcc0deeff', s);
  }
});

test('parseMac refuses what is not one MAC address', (t) => {
  for (const s of [
    '', 'aabbcc0deef', 'aabbcc0deeff0', 'aa:bb:cc:0d:ee', 'aa:bb:cc:0d:ee:ff:00', 'aa:bb-cc:0d:ee:ff', 'aa:bb:cc:0d:ee:fg',
    'a:bb:cc:0d:ee:ff', 'aabb.cc0d-eeff', 'aa.bb.cc.0d.ee.ff', 'aabbc.c0dee.ff', 'aabb cc0d eeff', 'alice', 'aa:bb:cc:0d:ee:ff@acme',
    '０１２３４５６７８９ab', 'aabbcc0deeff'.repeat(100),
  ]) {
    t.is(parseMac(s), undefined, s);
  }
});

test('toMac is InvalidInput naming the field and the spellings it takes', (t) => {
  t.is(toMac('AA-BB-CC-0D-EE-FF'), 'aabbcc0deeff');
  const err = t.throws(() => toMac('printer-1', 'device mac'), { code: 'TD_INVALID_INPUT' } as never);
  t.regex(err?.message ?? '', /^device mac "printer-1" is not a MAC address: write 12 hex digits, e\.g\. aa:bb:cc:dd:ee:ff/);
  t.regex(t.throws(() => toMac('x'.repeat(500)))?.message ?? '', /^mac "x{64}" is not/);
});

test('isGroupMac: multicast and broadcast are no device of their own', (t) => {
  t.true(isGroupMac('ffffffffffff'));
  t.true(isGroupMac('01005e000001'));
  t.false(isGroupMac('aabbcc0deeff'));
  t.false(isGroupMac('020000000001'), 'locally administered (a phone\'s private address) is fine');
});

test('macSpellings are each read back as the same MAC', (t) => {
  const spellings = macSpellings('aabbcc0deeff');
  t.true(spellings.includes('aabb.cc0d.eeff'));
  t.true(spellings.includes('AA:BB:CC:0D:EE:FF'));
  t.true(spellings.length >= 10);
  for (const s of spellings) t.is(parseMac(s), 'aabbcc0deeff', s);
});
