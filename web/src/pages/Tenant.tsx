// One tenant: its users (search as you type, paged, sortable), groups, NAS clients and VLANs,
// CSV import, the report and the audit trail, as tabs.
import type { FunctionComponent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { GroupJson, PageJson, TenantJson, UserJson } from '../../../src/admin/api.ts';
import { api, ApiError, enc, get, type Whoami } from '../api.ts';
import { navigate } from '../router.ts';
import { Field, Link, Loading, NotFound, Notice, SortHeader, sortBy, when, type SortDir } from '../ui.tsx';
import { AuditTail } from './Audit.tsx';
import { RadiusTab } from './Radius.tsx';
import { ReportTab } from './Report.tsx';

type ImportProps = { who: Whoami; tenant: TenantJson };
let importTab: Promise<FunctionComponent<ImportProps>> | undefined;

/** The import page carries the CSV reader (most of the code): loaded when first opened. */
function LazyImport(p: ImportProps) {
  const [C, setC] = useState<FunctionComponent<ImportProps> | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    importTab ??= import('./Import.tsx').then((m) => m.ImportTab);
    importTab.then((c) => setC(() => c), (e: Error) => setError(e.message));
  }, []);
  if (error) return <Notice kind="error">Cannot load the import page: {error}</Notice>;
  return C ? <C {...p} /> : <Loading what="the import page" />;
}

const TABS = [['users', 'Users'], ['groups', 'Groups'], ['nas', 'NAS & VLANs'], ['import', 'Import'], ['report', 'Report'], ['audit', 'Audit']] as const;
const PAGE = 25;

export function TenantPage(p: { who: Whoami; tenant: string; tab: string }) {
  const [t, setT] = useState<TenantJson | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    setT(null);
    setMissing(false);
    get<TenantJson>(`/tenants/${enc(p.tenant)}`).then(setT, (e: unknown) => {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError((e as Error).message);
    });
  }, [p.tenant]);
  if (missing) return <NotFound what={`There is no tenant "${p.tenant}" that you may see.`} />;
  if (!TABS.some(([k]) => k === p.tab)) return <NotFound />;
  const base = `/tenants/${enc(p.tenant)}`;
  return (
    <main id="main">
      <p class="crumbs"><Link href="/">Tenants</Link> / {p.tenant}</p>
      <h1>{t ? t.name : p.tenant} <span class="muted">({p.tenant})</span></h1>
      {error && <Notice kind="error">{error}</Notice>}
      {t && <p class="muted">{t.baseDN} · password policy: at least {t.passwordPolicy.minLength} characters of {t.passwordPolicy.minClasses} classes · TOTP {t.mfa.totp}</p>}
      <nav class="tabs" aria-label="Tenant sections">
        {TABS.map(([k, label]) => <Link key={k} href={k === 'users' ? base : `${base}/${k}`} aria-current={p.tab === k ? 'page' : undefined}>{label}</Link>)}
      </nav>
      {t && p.tab === 'users' && <UsersTab who={p.who} tenant={t} />}
      {t && p.tab === 'groups' && <GroupsTab who={p.who} tenant={t} />}
      {t && p.tab === 'nas' && <RadiusTab tenant={t} />}
      {t && p.tab === 'import' && <LazyImport who={p.who} tenant={t} />}
      {t && p.tab === 'report' && <ReportTab tenant={t} />}
      {t && p.tab === 'audit' && <AuditTail who={p.who} tenants={[t.id]} fixedTenant={t.id} />}
    </main>
  );
}

/** A prefix search that waits for the typing to pause. */
function useDebounced(value: string, ms = 250): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

type UserKey = 'uid' | 'cn' | 'mail' | 'uidNumber' | 'status';

function status(u: UserJson): string {
  if (u.lockedUntil) return 'locked';
  if (!u.enabled) return 'disabled';
  if (u.expiresAt && new Date(u.expiresAt).getTime() < Date.now()) return 'expired';
  return 'active';
}

function UsersTab(p: { who: Whoami; tenant: TenantJson }) {
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim());
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<PageJson<UserJson> | null>(null);
  const [error, setError] = useState('');
  const [sort, setSort] = useState<{ key: UserKey; dir: SortDir }>({ key: 'uid', dir: 'ascending' });
  const [creating, setCreating] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => setCursors([undefined]), [query]);
  useEffect(() => {
    const ctl = new AbortController();
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (query) params.set('q', query);
    if (cursor) params.set('cursor', cursor);
    get<PageJson<UserJson>>(`/tenants/${enc(p.tenant.id)}/users?${params}`, ctl.signal).then((r) => {
      setPage(r);
      setError('');
    }, (e: Error) => !ctl.signal.aborted && setError(e.message));
    return () => ctl.abort();
  }, [p.tenant.id, query, cursor]);

  const onSort = (key: UserKey) => setSort((s) => ({ key, dir: s.key === key && s.dir === 'ascending' ? 'descending' : 'ascending' }));
  const rows = page ? sortBy(page.items, (u) => (sort.key === 'status' ? status(u) : sort.key === 'uidNumber' ? u.uidNumber : (u[sort.key] ?? '').toLowerCase()), sort.dir) : [];
  const base = `/tenants/${enc(p.tenant.id)}/users`;
  return (
    <section aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <div class="toolbar">
        <div class="field inline">
          <label for="user-search">Search by uid</label>
          <input id="user-search" type="search" value={q} placeholder="prefix, e.g. ali" onInput={(e) => setQ((e.target as HTMLInputElement).value)} aria-controls="users-table" />
        </div>
        {p.who.may.write && !creating && <button type="button" class="primary" onClick={() => setCreating(true)}>New user</button>}
      </div>
      {creating && <NewUser tenant={p.tenant} onCancel={() => setCreating(false)} onCreated={(u) => navigate(`${base}/${enc(u.uid)}`)} />}
      {error && <Notice kind="error">{error}</Notice>}
      {!page && !error && <Loading what="users" />}
      {page && (
        <>
          <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table class="grid" id="users-table" aria-live="polite">
              <caption class="sr-only">Users of {p.tenant.id}, sorted by {sort.key}</caption>
              <thead>
                <tr>
                  <SortHeader k="uid" label="uid" sort={sort} onSort={onSort} />
                  <SortHeader k="cn" label="Name" sort={sort} onSort={onSort} />
                  <SortHeader k="mail" label="Mail" sort={sort} onSort={onSort} />
                  <SortHeader k="uidNumber" label="uidNumber" sort={sort} onSort={onSort} num />
                  <SortHeader k="status" label="Status" sort={sort} onSort={onSort} />
                </tr>
              </thead>
              <tbody>
                {rows.map((u) => (
                  <tr key={u.uid} data-uid={u.uid}>
                    <th scope="row"><Link href={`${base}/${enc(u.uid)}`}>{u.uid}</Link></th>
                    <td>{u.cn}</td>
                    <td>{u.mail ?? ''}</td>
                    <td class="num">{u.uidNumber}</td>
                    <td><span class={`badge status-${status(u)}`}>{status(u)}</span>{u.lockedUntil ? <span class="muted"> until {when(u.lockedUntil)}</span> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.items.length === 0 && <p class="muted">{query ? `No user's uid starts with "${query}".` : 'No users yet.'}</p>}
          <div class="pager">
            <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
            <span class="muted">page {cursors.length}</span>
            <button type="button" disabled={!page.next} onClick={() => setCursors((c) => [...c, page.next])}>Next page</button>
          </div>
        </>
      )}
    </section>
  );
}

function NewUser(p: { tenant: TenantJson; onCancel: () => void; onCreated: (u: UserJson) => void }) {
  const [f, setF] = useState({ uid: '', cn: '', sn: '', mail: '', password: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body = { uid: f.uid.trim(), cn: f.cn.trim() || f.uid.trim(), sn: f.sn.trim() || f.cn.trim() || f.uid.trim(), ...(f.mail.trim() ? { mail: f.mail.trim() } : {}), ...(f.password ? { password: f.password } : {}) };
      p.onCreated(await api<UserJson>('POST', `/tenants/${enc(p.tenant.id)}/users`, body));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="new-user-h" action="" method="post">
      <h3 id="new-user-h">New user</h3>
      {error && <Notice kind="error" id="new-user-error">{error}</Notice>}
      <div class="fields">
        <Field id="nu-uid" label="uid (login name)">{(d) => <input id="nu-uid" ref={first} required value={f.uid} onInput={set('uid')} autocomplete="off" aria-describedby={d} />}</Field>
        <Field id="nu-cn" label="Full name">{(d) => <input id="nu-cn" value={f.cn} onInput={set('cn')} aria-describedby={d} />}</Field>
        <Field id="nu-sn" label="Surname">{(d) => <input id="nu-sn" value={f.sn} onInput={set('sn')} aria-describedby={d} />}</Field>
        <Field id="nu-mail" label="Mail">{(d) => <input id="nu-mail" type="email" value={f.mail} onInput={set('mail')} aria-describedby={d} />}</Field>
        <Field id="nu-password" label="Password (optional)" hint={`At least ${p.tenant.passwordPolicy.minLength} characters of ${p.tenant.passwordPolicy.minClasses} classes; leave empty to set one later.`}>
          {(d) => <input id="nu-password" type="password" autocomplete="new-password" value={f.password} onInput={set('password')} aria-describedby={d} />}
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>Create user</button>
        <button type="button" onClick={p.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function GroupsTab(p: { who: Whoami; tenant: TenantJson }) {
  const [groups, setGroups] = useState<GroupJson[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [desc, setDesc] = useState('');
  const [formError, setFormError] = useState('');
  const load = async (cursor?: string) => {
    try {
      const r = await get<PageJson<GroupJson>>(`/tenants/${enc(p.tenant.id)}/groups?limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      setGroups((g) => (cursor ? [...(g ?? []), ...r.items] : r.items));
      setNext(r.next);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void load(), [p.tenant.id]);
  const create = async (e: Event) => {
    e.preventDefault();
    setFormError('');
    try {
      await api('POST', `/tenants/${enc(p.tenant.id)}/groups`, { name: name.trim(), ...(desc.trim() ? { description: desc.trim() } : {}) });
      setName('');
      setDesc('');
      await load();
    } catch (err) {
      setFormError((err as Error).message);
    }
  };
  const base = `/tenants/${enc(p.tenant.id)}/groups`;
  return (
    <section aria-labelledby="groups-h">
      <h2 id="groups-h">Groups</h2>
      {error && <Notice kind="error">{error}</Notice>}
      {p.who.may.write && (
        <form class="toolbar" onSubmit={create} action="" method="post" aria-label="New group">
          <div class="field inline"><label for="ng-name">New group</label><input id="ng-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></div>
          <div class="field inline"><label for="ng-desc">Description</label><input id="ng-desc" value={desc} onInput={(e) => setDesc((e.target as HTMLInputElement).value)} /></div>
          <button type="submit" class="primary">Create group</button>
          {formError && <Notice kind="error">{formError}</Notice>}
        </form>
      )}
      {!groups && !error && <Loading what="groups" />}
      {groups && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid">
          <thead><tr><th scope="col">Group</th><th scope="col">Description</th><th scope="col" class="num">gidNumber</th><th scope="col">Nested groups</th></tr></thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.name}>
                <th scope="row"><Link href={`${base}/${enc(g.name)}`}>{g.name}</Link></th>
                <td>{g.description ?? ''}</td>
                <td class="num">{g.gidNumber}</td>
                <td>{g.memberGroups.length ? g.memberGroups.map((m, i) => <>{i > 0 && ', '}<Link href={`${base}/${enc(m)}`}>{m}</Link></>) : <span class="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      {next && <button type="button" onClick={() => void load(next)}>Load more groups</button>}
    </section>
  );
}
