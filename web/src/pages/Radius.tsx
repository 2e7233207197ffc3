// NAS clients and VLAN mappings, read-only: they live in the tenant's YAML file; each row names
// the line to edit (then the daemon reloads by itself).
import { useEffect, useState } from 'preact/hooks';
import type { RadiusViewJson, TenantJson } from '../../../src/admin/api.ts';
import { enc, get } from '../api.ts';
import { Loading, Notice } from '../ui.tsx';

export function RadiusTab(p: { tenant: TenantJson }) {
  const [r, setR] = useState<RadiusViewJson | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<RadiusViewJson>(`/tenants/${enc(p.tenant.id)}/radius`).then(setR, (e: Error) => setError(e.message));
  }, [p.tenant.id]);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!r) return <Loading what="RADIUS settings" />;
  const at = (line?: number) => (line ? <code>{r.file}:{line}</code> : <code>{r.file}</code>);
  return (
    <section aria-labelledby="nas-h">
      <h2 id="nas-h">NAS clients and VLANs</h2>
      <Notice kind="info">These come from <code>{r.file}</code> in the configuration directory and are read-only here: edit the line shown, and the daemon reloads it (secrets are never shown).</Notice>
      <h3>NAS clients</h3>
      {r.clients.length === 0 ? <p class="muted">None: this tenant accepts no RADIUS requests.</p> : (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid" data-testid="nas">
          <thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Edit at</th></tr></thead>
          <tbody>{r.clients.map((c) => <tr key={c.name + c.address}><th scope="row">{c.name}</th><td><code>{c.address}</code></td><td>{at(c.line)}</td></tr>)}</tbody>
        </table></div>
      )}
      <h3>VLANs by group</h3>
      {r.vlans.length === 0 ? <p class="muted">None.</p> : (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid" data-testid="vlans">
          <thead><tr><th scope="col">Group</th><th scope="col" class="num">VLAN</th><th scope="col">Edit at</th></tr></thead>
          <tbody>{r.vlans.map((v) => <tr key={v.group + v.vlan}><th scope="row">{v.group}</th><td class="num">{v.vlan}</td><td>{at(v.line)}</td></tr>)}</tbody>
        </table></div>
      )}
      <dl class="details">
        <dt>Realms</dt><dd>{r.realms.length ? r.realms.join(', ') : <span class="muted">the tenant id only</span>}</dd>
        <dt>Message-Authenticator required</dt><dd>{r.requireMessageAuthenticator ? 'yes' : 'no'}</dd>
        <dt>PEAP-MSCHAPv2</dt><dd>{r.allowMschapv2 ? 'allowed' : 'off'}</dd>
        <dt>MAC authentication bypass</dt><dd>{r.mab.enabled ? `on${r.mab.unknownVlan ? `, unknown MACs to VLAN ${r.mab.unknownVlan}` : ''}` : 'off'}</dd>
      </dl>
    </section>
  );
}
