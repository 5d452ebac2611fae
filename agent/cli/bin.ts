// The single file's entry point: a CommonJS script has no top-level await and no import.meta, so it calls main itself.
import { processIo } from '../../lib/cli/command.js';
import { main } from './main.js';

void main(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
