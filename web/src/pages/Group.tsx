// One group: its nested groups and its members, direct or through nested groups.
import { useEffect, useState } from 'preact/hooks';
import type { GroupJson, PageJson, UserJson } from '../../../src/admin/api.ts';
import { api, ApiError, enc, get, type Whoami } from '../api.ts';
import { navigate } from '../router.ts';
import { Link, Loading, NotFound, Notice } from '../ui.tsx';

export function GroupPage(p: { who: Whoami; tenant: string; name: string }) {
  const [g, setG] = useState<GroupJson | null>(null);
  const [members, setMembers] = useState<UserJson[] | null>(null);
  const [direct, setDirect] = useState<Set<string>>(new Set());
  const [missing, setMissing] = useState('');
  const [error, setError] = useState('');
  const [child, setChild] = useState('');
  const path = `/tenants/${enc(p.tenant)}/groups/${enc(p.name)}`;
  const load = async () => {
    try {
      setG(await get<GroupJson>(path));
      const [all, dir] = await Promise.all([
        get<PageJson<UserJson>>(`${path}/members?limit=500`),
        get<PageJson<UserJson>>(`${path}/members?limit=500&direct=true`),
      ]);
      setMembers(all.items);
      setDirect(new Set(dir.items.map((u) => u.uid)));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(e.message);
      else setError((e as Error).message);
    }
  };
  useEffect(() => void load(), [p.tenant, p.name]);
  if (missing) return <NotFound what={missing.startsWith('tenant') ? `There is no tenant "${p.tenant}" that you may see.` : `There is no group "${p.name}" in ${p.tenant}.`} />;
  const tenantBase = `/tenants/${enc(p.tenant)}`;
  const nest = async (method: 'PUT' | 'DELETE', name: string) => {
    setError('');
    try {
      await api(method, `${path}/members/groups/${enc(name)}`);
      setChild('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main id="main">
      <p class="crumbs"><Link href="/">Tenants</Link> / <Link href={tenantBase}>{p.tenant}</Link> / <Link href={`${tenantBase}/groups`}>groups</Link> / {p.name}</p>
      <h1>Group {p.name}</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {!g && !error && <Loading what="the group" />}
      {g && (
        <>
          <p>{g.description ?? <span class="muted">No description.</span>} <span class="muted">gidNumber {g.gidNumber}</span></p>
          <section aria-labelledby="nested-h">
            <h2 id="nested-h">Nested groups</h2>
            {g.memberGroups.length === 0 ? <p class="muted">None.</p> : (
              <ul>{g.memberGroups.map((m) => (
                <li key={m}><Link href={`${tenantBase}/groups/${enc(m)}`}>{m}</Link>{p.who.may.write && <> <button type="button" class="link" onClick={() => void nest('DELETE', m)}>Remove<span class="sr-only"> {m}</span></button></>}</li>
              ))}</ul>
            )}
            {p.who.may.write && (
              <form class="toolbar" onSubmit={(e) => { e.preventDefault(); void nest('PUT', child.trim()); }} action="" method="post" aria-label="Nest a group">
                <div class="field inline"><label for="nest-group">Nest a group</label><input id="nest-group" required value={child} onInput={(e) => setChild((e.target as HTMLInputElement).value)} /></div>
                <button type="submit">Add</button>
              </form>
            )}
          </section>
          <section aria-labelledby="members-h">
            <h2 id="members-h">Members {members && <span class="muted">({members.length})</span>}</h2>
            {members && members.length === 0 && <p class="muted">No members.</p>}
            {members && members.length > 0 && (
              <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid">
                <thead><tr><th scope="col">uid</th><th scope="col">Name</th><th scope="col">Membership</th></tr></thead>
                <tbody>
                  {members.map((u) => (
                    <tr key={u.uid}>
                      <th scope="row"><Link href={`${tenantBase}/users/${enc(u.uid)}`}>{u.uid}</Link></th>
                      <td>{u.cn}</td>
                      <td>{direct.has(u.uid) ? 'direct' : <span class="muted">through a nested group</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table></div>
            )}
          </section>
          {p.who.may.write && (
            <button type="button" class="danger" onClick={() => {
              if (!confirm(`Delete the group ${p.name}?`)) return;
              void api('DELETE', path).then(() => navigate(`${tenantBase}/groups`), (e: Error) => setError(e.message));
            }}>Delete group</button>
          )}
        </>
      )}
    </main>
  );
}
