#!/usr/bin/env node
// `ae-sync-sim` (from a clone: `npm run simulate`): see ./main.ts for the arguments.
// --help is answered before the simulator is loaded, so it prints at once.
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  const { helpText } = await import('./help.js');
  process.stdout.write(helpText());
} else {
  const { main } = await import('./main.js');
  const code = await main(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
