// tenantdir doctor --tenant T: what the daemon finds wrong in a tenant's stored data (POSIX
// numbers that collide), one problem and its fix per paragraph. Exit 1 when it finds any.
import type { Command } from 'commander';
import type { DoctorJson } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print } from '../output.ts';
import { apiCommand, clientFor, type ApiOptions } from './common.ts';

export function doctorCommand(program: Command): void {
  apiCommand(program, 'doctor', "check a tenant's stored data for problems (colliding uid and gid numbers); exit 1 if any")
    .action(async (o: ApiOptions) => {
      const r = await clientFor(o).request<DoctorJson>('GET', ApiClient.tenantPath(o.tenant, 'doctor'));
      print(o.json, r, () => {
        for (const p of r.problems) console.log(`${p.kind}: ${p.message}\n  fix: ${p.fix}\n`);
        const found = r.problems.length === 0 ? 'no problems' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`;
        console.log(`${o.tenant}: ${found} (${r.users} users, ${r.groups} groups examined)`);
      });
      if (r.problems.length > 0) process.exitCode = 1;
    });
}
