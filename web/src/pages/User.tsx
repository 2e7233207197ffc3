// One user: details, groups, enable/disable, password reset (the policy's refusal inline), unlock,
// TOTP enrol (QR code) / reset, app passwords (the secret shown once), recent logins and sessions.
import { useEffect, useState } from 'preact/hooks';
import type {
  AppPasswordList, AuditEventJson, NewAppPasswordJson, SessionList, TenantJson, TotpEnrolment, TotpStatusJson, UnlockResult, UserJson,
} from '../../../src/admin/api.ts';
import { api, ApiError, enc, get, type Whoami } from '../api.ts';
import { navigate } from '../router.ts';
import { Field, Link, Loading, NotFound, Notice, when } from '../ui.tsx';

export function UserPage(p: { who: Whoami; tenant: string; uid: string }) {
  const [u, setU] = useState<UserJson | null>(null);
  const [t, setT] = useState<TenantJson | null>(null);
  const [missing, setMissing] = useState('');
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const path = `/tenants/${enc(p.tenant)}/users/${enc(p.uid)}`;
  const reload = () => get<UserJson>(path).then(setU, (e: unknown) => {
    if (e instanceof ApiError && e.status === 404) setMissing(e.message);
    else setMsg({ kind: 'error', text: (e as Error).message });
  });
  useEffect(() => {
    setU(null);
    void reload();
    get<TenantJson>(`/tenants/${enc(p.tenant)}`).then(setT, () => undefined);
  }, [p.tenant, p.uid]);
  if (missing) return <NotFound what={missing.startsWith('tenant') ? `There is no tenant "${p.tenant}" that you may see.` : `There is no user "${p.uid}" in ${p.tenant}.`} />;
  const act = async (what: string, fn: () => Promise<unknown>) => {
    setMsg(null);
    try {
      await fn();
      setMsg({ kind: 'ok', text: what });
      await reload();
    } catch (e) {
      setMsg({ kind: 'error', text: (e as Error).message });
    }
  };
  const tenantBase = `/tenants/${enc(p.tenant)}`;
  return (
    <main id="main">
      <p class="crumbs"><Link href="/">Tenants</Link> / <Link href={tenantBase}>{p.tenant}</Link> / {p.uid}</p>
      <h1>{u ? u.cn : p.uid} <span class="muted">({p.uid})</span></h1>
      {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
      {!u && <Loading what="the user" />}
      {u && (
        <div class="columns">
          <section aria-labelledby="details-h" class="panel">
            <h2 id="details-h">Details</h2>
            <dl class="details">
              <dt>Status</dt><dd data-testid="user-status">{u.lockedUntil ? `locked until ${when(u.lockedUntil)}` : u.enabled ? 'enabled' : 'disabled'}</dd>
              <dt>Mail</dt><dd>{u.mail ?? '—'}</dd>
              <dt>uidNumber / gidNumber</dt><dd>{u.uidNumber} / {u.gidNumber}</dd>
              <dt>Home, shell</dt><dd>{u.homeDirectory}, {u.loginShell}</dd>
              <dt>Password</dt><dd>{u.hasPassword ? `set ${when(u.passwordChangedAt)}` : 'none'}</dd>
              <dt>Expires</dt><dd>{u.expiresAt ? when(u.expiresAt) : 'never'}</dd>
              <dt>Created</dt><dd>{when(u.createdAt)}</dd>
              <dt>Groups</dt>
              <dd>{u.memberOf.length ? u.memberOf.map((g, i) => <>{i > 0 && ', '}<Link href={`${tenantBase}/groups/${enc(g)}`}>{g}</Link></>) : 'none'}</dd>
            </dl>
            <div class="actions">
              {p.who.may.write && (u.enabled
                ? <button type="button" onClick={() => void act('Disabled.', () => api('POST', `${path}/disable`))}>Disable</button>
                : <button type="button" onClick={() => void act('Enabled.', () => api('POST', `${path}/enable`))}>Enable</button>)}
              {p.who.may.credential && (
                <button type="button" onClick={() => void act('', async () => {
                  const r = await api<UnlockResult>('POST', `${path}/unlock`);
                  setMsg({ kind: 'ok', text: r.unlocked ? 'Unlocked.' : 'The account was not locked; nothing changed.' });
                }).then(() => undefined)}>Unlock</button>
              )}
              {p.who.may.write && (
                <button type="button" class="danger" onClick={() => {
                  if (!confirm(`Delete ${u.uid} from ${p.tenant}? This cannot be undone.`)) return;
                  void api('DELETE', path).then(() => navigate(tenantBase), (e: Error) => setMsg({ kind: 'error', text: e.message }));
                }}>Delete user</button>
              )}
            </div>
            {p.who.may.write && <Membership path={path} tenant={p.tenant} user={u} onChange={reload} />}
          </section>
          {p.who.may.credential && <PasswordReset path={path} tenant={t} />}
          <Mfa who={p.who} path={path} />
          <AppPasswords who={p.who} path={path} />
          <Activity tenant={p.tenant} uid={p.uid} />
        </div>
      )}
    </main>
  );
}

function Membership(p: { path: string; tenant: string; user: UserJson; onChange: () => Promise<unknown> }) {
  const [g, setG] = useState('');
  const [err, setErr] = useState('');
  const group = (name: string) => `/tenants/${enc(p.tenant)}/groups/${enc(name)}/members/users/${enc(p.user.uid)}`;
  const change = async (method: 'PUT' | 'DELETE', name: string) => {
    setErr('');
    try {
      await api(method, group(name));
      setG('');
      await p.onChange();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <form class="subform" onSubmit={(e) => { e.preventDefault(); void change('PUT', g.trim()); }} action="" method="post" aria-label="Group membership">
      <div class="field inline">
        <label for="add-group">Add to group</label>
        <input id="add-group" value={g} required onInput={(e) => setG((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit">Add</button>
      {p.user.memberOf.map((name) => <button key={name} type="button" class="link" onClick={() => void change('DELETE', name)}>Remove from {name}</button>)}
      {err && <Notice kind="error">{err}</Notice>}
    </form>
  );
}

function PasswordReset(p: { path: string; tenant: TenantJson | null }) {
  const [pw, setPw] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    setDone(false);
    try {
      await api('PUT', `${p.path}/password`, { password: pw });
      setPw('');
      setDone(true);
    } catch (err) {
      // The policy's refusal (422) says which rule failed: show it at the field.
      setError((err as Error).message);
    }
  };
  const pol = p.tenant?.passwordPolicy;
  return (
    <section aria-labelledby="pw-h" class="panel">
      <h2 id="pw-h">Reset password</h2>
      <form onSubmit={submit} action="" method="post">
        <Field id="new-password" label="New password" error={error || undefined}
          hint={pol ? `At least ${pol.minLength} characters from ${pol.minClasses} of: lower case, upper case, digits, symbols; not the uid; not one of the last ${pol.history}.` : undefined}>
          {(d) => <input id="new-password" type="password" autocomplete="new-password" required value={pw} aria-invalid={error ? 'true' : undefined} aria-describedby={d}
            onInput={(e) => setPw((e.target as HTMLInputElement).value)} />}
        </Field>
        <button type="submit" class="primary">Set password</button>
        {done && <Notice kind="ok" id="pw-done">Password set. Any lockout is lifted.</Notice>}
      </form>
    </section>
  );
}

function Mfa(p: { who: Whoami; path: string }) {
  const [s, setS] = useState<TotpStatusJson | null>(null);
  const [enrol, setEnrol] = useState<TotpEnrolment | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const load = () => get<TotpStatusJson>(`${p.path}/mfa/totp`).then(setS, (e: Error) => setError(e.message));
  useEffect(() => void load(), [p.path]);
  const start = async () => {
    setError('');
    setOk('');
    try {
      setEnrol(await api<TotpEnrolment>('POST', `${p.path}/mfa/totp`));
      setCode('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const confirmCode = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      setS(await api<TotpStatusJson>('POST', `${p.path}/mfa/totp/confirm`, { code: code.trim() }));
      setEnrol(null);
      setOk('The authenticator is confirmed.');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const reset = async () => {
    if (!confirm('Remove this user\'s authenticator? They will have to enrol again.')) return;
    setError('');
    try {
      await api('DELETE', `${p.path}/mfa/totp`);
      setEnrol(null);
      setOk('The authenticator was removed.');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="mfa-h" class="panel">
      <h2 id="mfa-h">Two-factor (TOTP)</h2>
      {s && <p data-testid="mfa-status">{s.confirmed ? `Enrolled and confirmed ${when(s.confirmedAt)}.` : s.enrolled ? 'Enrolment started, not confirmed yet.' : 'Not enrolled.'} <span class="muted">Tenant mode: {s.tenantMode}.</span></p>}
      {error && <Notice kind="error" id="mfa-error">{error}</Notice>}
      {ok && <Notice kind="ok">{ok}</Notice>}
      {enrol && (
        <div class="enrol">
          <img class="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrol.qrSvg)}`} alt="QR code of the authenticator's otpauth URI" width={200} height={200} />
          <div>
            <p>Scan the code with the authenticator app, or type this secret. It is shown only now.</p>
            <p><code data-testid="totp-secret" class="secret">{enrol.secret}</code></p>
            <form onSubmit={confirmCode} action="" method="post">
              <Field id="totp-code" label="First code from the app">
                {(d) => <input id="totp-code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autocomplete="one-time-code" required value={code} aria-describedby={d}
                  onInput={(e) => setCode((e.target as HTMLInputElement).value)} />}
              </Field>
              <button type="submit" class="primary">Confirm</button>
            </form>
          </div>
        </div>
      )}
      <div class="actions">
        {p.who.may.write && !enrol && <button type="button" onClick={() => void start()}>{s?.enrolled ? 'Enrol a new authenticator' : 'Enrol TOTP'}</button>}
        {p.who.may.credential && s?.enrolled && <button type="button" class="danger" onClick={() => void reset()}>Reset authenticator</button>}
      </div>
    </section>
  );
}

function AppPasswords(p: { who: Whoami; path: string }) {
  const [list, setList] = useState<AppPasswordList | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewAppPasswordJson | null>(null);
  const [error, setError] = useState('');
  const load = () => get<AppPasswordList>(`${p.path}/app-passwords`).then(setList, (e: Error) => setError(e.message));
  useEffect(() => void load(), [p.path]);
  const add = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      setCreated(await api<NewAppPasswordJson>('POST', `${p.path}/app-passwords`, { name: name.trim() }));
      setName('');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (n: string) => {
    if (!confirm(`Revoke the app password "${n}"? Devices using it stop working.`)) return;
    try {
      await api('DELETE', `${p.path}/app-passwords/${enc(n)}`);
      if (created?.name === n) setCreated(null);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="ap-h" class="panel">
      <h2 id="ap-h">App passwords</h2>
      {error && <Notice kind="error">{error}</Notice>}
      {created && (
        <Notice kind="ok">
          App password <strong>{created.name}</strong>: <code class="secret" data-testid="app-secret">{created.secret}</code>. Copy it now: it is not shown again.{' '}
          <button type="button" class="link" onClick={() => setCreated(null)}>Done</button>
        </Notice>
      )}
      {list && list.items.length === 0 && <p class="muted">None.</p>}
      {list && list.items.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {list.items.map((a) => (
              <tr key={a.name}>
                <th scope="row">{a.name}</th><td>{a.scopes.join(', ')}</td><td>{when(a.createdAt)}</td><td>{when(a.lastUsedAt)}</td>
                <td>{p.who.may.credential && <button type="button" class="link" onClick={() => void revoke(a.name)}>Revoke<span class="sr-only"> {a.name}</span></button>}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      {p.who.may.write && (
        <form class="subform" onSubmit={add} action="" method="post" aria-label="New app password">
          <div class="field inline"><label for="ap-name">Name (device)</label><input id="ap-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="iphone" /></div>
          <button type="submit">Add app password</button>
        </form>
      )}
    </section>
  );
}

function Activity(p: { tenant: string; uid: string }) {
  const [events, setEvents] = useState<AuditEventJson[] | null>(null);
  const [sessions, setSessions] = useState<SessionList | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const t = `/tenants/${enc(p.tenant)}`;
    get<{ items: AuditEventJson[] }>(`${t}/audit?target=${enc(p.uid)}&limit=20`).then((r) => setEvents(r.items), (e: Error) => setError(e.message));
    get<SessionList>(`${t}/sessions?user=${enc(p.uid)}&limit=20`).then(setSessions, (e: Error) => setError(e.message));
  }, [p.tenant, p.uid]);
  return (
    <section aria-labelledby="act-h" class="panel wide">
      <h2 id="act-h">Recent logins and changes</h2>
      {error && <Notice kind="error">{error}</Notice>}
      {!events && <Loading what="activity" />}
      {events && events.length === 0 && <p class="muted">Nothing recorded yet.</p>}
      {events && events.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid">
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">By</th><th scope="col">Detail</th></tr></thead>
          <tbody>
            {events.map((e, i) => (
              <tr key={`${e.at}-${i}`}>
                <td><time dateTime={e.at}>{when(e.at)}</time></td><td>{e.action}{e.protocol ? ` (${e.protocol})` : ''}</td>
                <td><span class={`badge outcome-${e.outcome}`}>{e.outcome}</span>{e.reason ? ` ${e.reason}` : ''}</td><td>{e.actor}</td>
                <td class="muted">{e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${v}`).join(' ') : ''}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      <h3>Sessions</h3>
      {sessions && sessions.items.length === 0 && <p class="muted">No RADIUS sessions.</p>}
      {sessions && sessions.items.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid">
          <thead><tr><th scope="col">NAS</th><th scope="col">Station</th><th scope="col">Address</th><th scope="col">Started</th><th scope="col" class="num">Duration</th><th scope="col">State</th></tr></thead>
          <tbody>
            {sessions.items.map((s) => (
              <tr key={s.sessionId}>
                <td>{s.nas}</td><td>{s.callingStationId ?? ''}</td><td>{s.framedAddress ?? ''}</td><td>{when(s.startedAt)}</td>
                <td class="num">{Math.round(s.duration / 60)} min</td><td>{s.active ? 'active' : s.stopCause ?? 'stopped'}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
    </section>
  );
}
