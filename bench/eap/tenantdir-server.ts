// The tenantdir side of the EAP benchmark, in its own process so that its CPU time can be read
// apart from the supplicants': the RADIUS front and EapServer over the test world and PKI.
// Prints the RADIUS port, then runs until stdin closes.
import { silentLogger } from '../../src/core/log.ts';
import { pkiAt } from '../../test/eap/certs.ts';
import { startHarness } from '../../test/eap/harness.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tenantdir-server.ts PKI_DIR');
// Silent: the harness would otherwise keep every debug line of the run in memory.
const h = await startHarness({ pki: pkiAt(dir), logger: silentLogger() });
process.stdout.write(`port ${h.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => { void h.close().then(() => process.exit(0)); });
