// Runs test/e2e/vscode/exthost (mocha) inside code-server's real extension host, driven by Debian's
// Chromium. code-server has no --extensionTestsPath flag, but its workbench honours the `payload` query
// [["extensionDevelopmentPath", ...], ["extensionTestsPath", ...]] when the server runs with
// `--vscode-option enable-smoke-test-driver` (without it the tests silently never run). The result comes
// back through window.codeAutomationExit, the logs through window.codeAutomationLog.
// Env: TOOLS (cache with playwright-core), CS_HOST (127.0.0.1:PORT), WS (workspace), EXT (installed
// extension folder, used as the development path so the packaged bits are what runs), TESTS (index.js),
// LOG (optional: the full console of the workbench), CS_LOGS (code-server's logs folder, shown on a timeout).
import { createRequire } from 'node:module';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';

const requireTool = createRequire(`${process.env.TOOLS}/index.js`);
const { chromium } = requireTool('playwright-core');
const { CS_HOST, WS, EXT, TESTS, LOG } = process.env;
const TIMEOUT_MS = Number(process.env.EXTHOST_TIMEOUT_MS || 100000);
const remote = (p) => `vscode-remote://${CS_HOST}${p}`;
const payload = JSON.stringify([
  ['extensionDevelopmentPath', remote(EXT)],
  ['extensionTestsPath', remote(TESTS)],
]);
const url = `http://${CS_HOST}/?folder=${encodeURIComponent(WS)}&payload=${encodeURIComponent(payload)}`;

function findLogs(dir, name) {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? findLogs(p, name) : e === name ? [p] : [];
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let code;
try {
  const page = await browser.newPage();
  let done;
  const exited = new Promise((r) => (done = r));
  // the workbench's own chatter (offline gallery, auth providers, sockets) goes to the log file only
  const noise =
    /ENOTFOUND|authentication provider|Creating a socket|connection token|AccountPolicyGate|AgentHost|Service Worker|reconnection-grace|builtin extensions cache|workbench contribution|^\s+at /;
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const text = format(...(args || []));
    if (LOG) appendFileSync(LOG, `${text}\n`);
    for (const line of text.split('\n')) if (!noise.test(line)) console.log(line);
  });
  await page.exposeFunction('codeAutomationExit', (c) => done(c));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(url);
  code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
  console.log('extension host tests exit code:', code);
  if (code === 'timeout') {
    // Usually the extension never finished activating (the tests start after it): show why.
    console.log(`FAIL exthost: the tests did not finish in ${TIMEOUT_MS / 1000} s (activation hung?)`);
    for (const log of findLogs(process.env.CS_LOGS, 'Lockscope.log'))
      console.log(`--- ${log} (last lines)\n${readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}`);
  }
} finally {
  await browser.close();
}
process.exit(code === 0 ? 0 : 1);
