// The CLI round trip on MongoDB (FerretDB unless MONGODB_URI is set). No server is a failure.
import anyTest, { type TestFn } from 'ava';
import { startMongo } from '../helpers/mongo-server.ts';
import { cliRoundTrip, type RoundTripContext } from './roundtrip.ts';

cliRoundTrip(anyTest as TestFn<RoundTripContext>, async () => {
  const mongo = await startMongo();
  return { storeUri: mongo.dbUri('cli'), stop: () => mongo.stop() };
});
