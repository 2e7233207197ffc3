// The tenantdir web console: sign in with an admin token, then every page is a view over the
// admin API, as the token's role allows.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, prefetch, session, type Whoami } from './api.ts';
import { match, navigate, usePath } from './router.ts';
import { Link, NotFound, Notice } from './ui.tsx';
import { Overview } from './pages/Overview.tsx';
import { TenantPage } from './pages/Tenant.tsx';
import { UserPage } from './pages/User.tsx';
import { GroupPage } from './pages/Group.tsx';
import { AuditPage } from './pages/Audit.tsx';
import './styles.css';

function SignIn(p: { onSignedIn: (w: Whoami) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(session.message());
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const w = await api<Whoami>('GET', '/whoami', undefined, { token: token.trim() });
      session.set(token.trim());
      setToken('');
      p.onSignedIn(w);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : `Cannot sign in: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>tenantdir console</h1>
      <p>Sign in with your admin token (the <code>admins</code> of tenantdir.yaml). It is kept in this tab only, until you sign out or close it.</p>
      {error && <Notice kind="error" id="signin-error">{error}</Notice>}
      <form onSubmit={submit} action="" method="post">
        <div class="field">
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)} aria-describedby={error ? 'signin-error' : undefined} />
        </div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}

function Header(p: { who: Whoami; path: string }) {
  const signOut = () => {
    session.clear();
    navigate('/', true);
  };
  const nav = [['/', 'Tenants'], ['/audit', 'Audit']] as const;
  return (
    <header class="top">
      <a class="skip" href="#main">Skip to content</a>
      <span class="brand">tenantdir</span>
      <nav aria-label="Main">
        {nav.map(([href, label]) => (
          <Link key={href} href={href} aria-current={(href === '/' ? p.path === '/' || p.path.startsWith('/tenants') : p.path.startsWith(href)) ? 'page' : undefined}>{label}</Link>
        ))}
      </nav>
      <span class="who" data-testid="whoami">
        <span>{p.who.name}</span> <span class="badge" data-role={p.who.role}>{p.who.role}</span>
        <span class="muted"> · {p.who.tenants === 'all' ? 'all tenants' : p.who.tenants.join(', ') || 'no tenants'}</span>
      </span>
      <button type="button" class="link" onClick={signOut}>Sign out</button>
    </header>
  );
}

function Routes(p: { who: Whoami; path: string }) {
  const path = p.path;
  let m: Record<string, string> | undefined;
  if (path === '/') return <Overview who={p.who} />;
  if (path === '/audit') return <AuditPage who={p.who} />;
  if ((m = match('/tenants/:tenant/users/:uid', path))) return <UserPage who={p.who} tenant={m.tenant!} uid={m.uid!} />;
  if ((m = match('/tenants/:tenant/groups/:name', path))) return <GroupPage who={p.who} tenant={m.tenant!} name={m.name!} />;
  if ((m = match('/tenants/:tenant/:tab', path))) return <TenantPage who={p.who} tenant={m.tenant!} tab={m.tab!} />;
  if ((m = match('/tenants/:tenant', path))) return <TenantPage who={p.who} tenant={m.tenant!} tab="users" />;
  return <NotFound />;
}

/** Signed in already (a reload): ask for the tenants while whoami is on its way. */
if (session.token()) prefetch('/tenants');

function App() {
  const path = usePath();
  const [who, setWho] = useState<Whoami | null>(null);
  const [checking, setChecking] = useState(session.token() !== null);
  useEffect(() => session.onSignOut(() => setWho(null)), []);
  useEffect(() => {
    if (!session.token()) return;
    api<Whoami>('GET', '/whoami').then(setWho, () => undefined).finally(() => setChecking(false));
  }, []);
  useEffect(() => {
    const title = path === '/' ? 'Tenants' : path.split('/').filter(Boolean).map(decodeURIComponent).join(' / ');
    document.title = `${title} · tenantdir console`;
  }, [path]);
  if (checking) return <main id="main"><p role="status">Signing in…</p></main>;
  if (!who) return <SignIn onSignedIn={setWho} />;
  return (
    <>
      <Header who={who} path={path} />
      <Routes who={who} path={path} />
    </>
  );
}

render(<App />, document.getElementById('app')!);
