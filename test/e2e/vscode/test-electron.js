// The same extension-host tests (exthost/) in desktop VS Code via @vscode/test-electron, for machines
// that can download VS Code (this one cannot: update.code.visualstudio.com is unreachable, so run.sh
// uses code-server instead; do not run this in CI here).
// Usage: npm run build && node test/e2e/vscode/test-electron.js
//   VSCODE_VERSION=1.139.1 (default 'stable'), LOCKSCOPE_VSIX=path.vsix to test the package instead of
//   the repository (installed into a throwaway extensions folder first).
/* eslint-disable @typescript-eslint/no-require-imports */
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  downloadAndUnzipVSCode,
  resolveCliArgsFromVSCodeExecutablePath,
  runTests,
} = require('@vscode/test-electron');

const REPO = path.resolve(__dirname, '../../..');

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-electron-'));
  const ws = path.join(tmp, 'ws');
  fs.mkdirSync(ws);
  const seed = path.join(REPO, 'test/fixtures/workspaces/seed003-alloc-workqueue');
  for (const f of fs.readdirSync(seed).filter((n) => /\.[ch]$/.test(n)))
    fs.copyFileSync(path.join(seed, f), path.join(ws, f));
  const fixtures = path.join(REPO, 'test/e2e/fixtures');
  for (const f of fs.readdirSync(fixtures).filter((n) => n.endsWith('.c')))
    fs.copyFileSync(path.join(fixtures, f), path.join(ws, f));

  const vscodeExecutablePath = await downloadAndUnzipVSCode(process.env.VSCODE_VERSION || 'stable');
  const extensionsDir = path.join(tmp, 'extensions');
  let extensionDevelopmentPath = REPO;
  if (process.env.LOCKSCOPE_VSIX) {
    const [cli, ...args] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
    cp.execFileSync(
      cli,
      [...args, '--extensions-dir', extensionsDir, '--install-extension', process.env.LOCKSCOPE_VSIX],
      { stdio: 'inherit' },
    );
    const installed = fs.readdirSync(extensionsDir).find((d) => d.startsWith('lockscope.lockscope-'));
    extensionDevelopmentPath = path.join(extensionsDir, installed);
  }
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath,
    extensionTestsPath: path.join(__dirname, 'exthost', 'index.js'),
    launchArgs: [
      ws,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir',
      path.join(tmp, 'user-data'),
      '--extensions-dir',
      extensionsDir,
    ],
  });
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
