// The reports' authentication and lockout counts come from the store's daily rollup only when
// every action they ask for is rolled up: a new authentication action must be added to both.
import test from 'ava';
import { AUTH_ACTIONS } from '../../src/directory/report.ts';
import { ROLLED_UP_ACTIONS } from '../../src/store/records.ts';

test('every authentication action of the reports, and lockouts, are in the store\'s daily rollup', (t) => {
  t.deepEqual([...AUTH_ACTIONS, 'user.lockout'].filter((a) => !ROLLED_UP_ACTIONS.includes(a)), []);
});
