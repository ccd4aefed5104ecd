// Entry for extensionTestsPath: runs the mocha tests inside the real (remote, Node) extension host of
// code-server (or of VS Code, from test-electron.js). Prints one PASS/FAIL/SKIP line per test, which
// test/e2e/run.sh counts. Mocha comes from the e2e tool cache ($LOCKSCOPE_E2E_MOCHA), else the repo's.
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('path');

function loadMocha() {
  const fromCache = process.env.LOCKSCOPE_E2E_MOCHA;
  if (fromCache) {
    try {
      return require(fromCache);
    } catch {
      // fall back to the repository's devDependency
    }
  }
  return require('mocha');
}

exports.run = function run() {
  const Mocha = loadMocha();
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false, reporter: 'spec' });
  const grep = process.env.LOCKSCOPE_E2E_GREP;
  if (grep) mocha.grep(grep);
  mocha.addFile(path.join(__dirname, 'lockscope.test.js'));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) =>
      failures ? reject(new Error(`${failures} extension-host tests failed`)) : resolve(),
    );
    runner.on('pass', (t) => console.log(`PASS exthost: ${t.fullTitle()}`));
    runner.on('fail', (t, err) => console.log(`FAIL exthost: ${t.fullTitle()}: ${err && err.message}`));
    runner.on('pending', (t) => console.log(`SKIP exthost: ${t.fullTitle()}`));
  });
};
