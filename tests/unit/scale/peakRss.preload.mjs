// Loaded with `node --import` into a child process by tests/unit/scale/memoryBound.test.ts: on exit, writes the
// process's peak resident set size (getrusage ru_maxrss through process.resourceUsage(), kilobytes, every thread
// included) to the file named by SYNTHLENS_PEAK_RSS_FILE. Works without /usr/bin/time and on any OS Node runs on.
import { writeFileSync } from 'node:fs';

const out = process.env.SYNTHLENS_PEAK_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
