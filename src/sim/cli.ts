#!/usr/bin/env node
// `ae-sync-sim` (from a clone: `npm run simulate`): see ./main.ts for the arguments.
// --help is answered before the simulator is loaded, so it prints at once.
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  const { helpText } = await import('./help.js');
  process.stdout.write(helpText());
} else {
  // V8's allocation-site pretenuring moves the short-lived objects of every machine
  // transition straight to the old generation; off, the simulator spends ~20 % less CPU
  // (same results). Set before any worker starts, through Node's documented v8 API.
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--no-allocation-site-pretenuring');
  const { main } = await import('./main.js');
  const code = await main(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
