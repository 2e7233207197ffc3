// Keeps the folder table of STYLE.md true: data flows one way, YAML → config → registry →
// fronts → directory → store. `npm test` runs this before the tests.
const folder = (name) => `^src/${name}/`;
const only = (from, allowed, comment) => ({
  name: `${from}-imports`,
  comment,
  severity: 'error',
  from: { path: folder(from) },
  to: { path: '^src/', pathNot: [folder(from), ...allowed.map(folder), '^src/types/'] },
});

module.exports = {
  forbidden: [
    only('core', [], 'core is the bottom layer: errors, log, ids, DNs, TLS material, shared crypto'),
    only('config', ['core'], 'config reads YAML into a registry and knows nothing of the rest'),
    only('store', ['core'], 'the store is a port with adapters; it knows no config, directory or front'),
    only('audit', ['store', 'core'], 'audit writes to the store'),
    only('directory', ['store', 'config', 'audit', 'core'], 'the directory is the only way to the store for the fronts'),
    only('integrations', ['audit', 'store', 'config', 'core'], 'integrations send audit events on: webhooks from the outbox, syslog as a stream'),
    only('eap', ['core'], 'EAP methods reach users only through their EapExchange'),
    only('ldap', ['directory', 'config', 'core'], 'fronts go through the directory, never the store'),
    only('radius', ['directory', 'config', 'eap', 'core'], 'fronts go through the directory, never the store'),
    only('admin', ['directory', 'config', 'core'], 'fronts go through the directory, never the store'),
    only('cli', ['admin', 'config', 'daemon', 'core'], 'the CLI is a client of the admin API (serve and config check run locally)'),
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
