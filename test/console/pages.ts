// Every page of the console, with what shows it has loaded: the accessibility test and the
// screenshot script (bench/console/screenshots.ts) walk the same list.
import type { Page } from 'playwright-core';

export interface ConsolePage {
  name: string;
  path: string;
  ready(page: Page): Promise<unknown>;
}

export const PAGES: ConsolePage[] = [
  { name: 'overview', path: '/', ready: (p) => p.locator('[data-tenant="acme"]').waitFor() },
  { name: 'tenant-users', path: '/tenants/acme', ready: (p) => p.locator('#users-table tr[data-uid="alice"]').waitFor() },
  { name: 'user', path: '/tenants/acme/users/alice', ready: (p) => Promise.all([p.getByTestId('user-status').waitFor(), p.getByTestId('mfa-status').waitFor(), p.getByRole('heading', { name: 'Sessions' }).waitFor()]) },
  { name: 'groups', path: '/tenants/acme/groups', ready: (p) => p.getByRole('link', { name: 'staff' }).waitFor() },
  { name: 'group', path: '/tenants/acme/groups/staff', ready: (p) => p.getByRole('heading', { name: /^Members/ }).waitFor() },
  { name: 'nas', path: '/tenants/acme/nas', ready: (p) => p.getByTestId('nas').waitFor() },
  { name: 'import', path: '/tenants/acme/import', ready: (p) => p.getByLabel('CSV file').waitFor() },
  { name: 'report', path: '/tenants/acme/report', ready: (p) => p.locator('#report-unavailable, .kpis').first().waitFor() },
  { name: 'audit', path: '/audit', ready: (p) => p.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor() },
];
