// The CLI round trip on the memory store.
import anyTest, { type TestFn } from 'ava';
import { cliRoundTrip, type RoundTripContext } from './roundtrip.ts';

cliRoundTrip(anyTest as TestFn<RoundTripContext>, async () => ({}));
