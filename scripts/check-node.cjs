// Runs first in the npm scripts that need this project's Node (package.json `engines`): on
// an older `node` (the machine's own, in a shell where `.ci/setup.sh` has not put Node 24
// first on PATH) it says what to do in one line, instead of a failure further on (Node 20
// cannot run a .ts file: ERR_UNKNOWN_FILE_EXTENSION). Written for any Node, however old.
'use strict';
var wanted = require('../package.json').engines.node;
var floor = /(\d+)\.(\d+)/.exec(wanted);
var running = process.versions.node.split('.').map(Number);
if (running[0] < Number(floor[1]) || (running[0] === Number(floor[1]) && running[1] < Number(floor[2]))) {
  process.stderr.write('Node ' + process.version + ' is older than this project needs (' + wanted + '): run `source .ci/setup.sh` (it puts Node 24 first on PATH), then this command again\n');
  process.exitCode = 1;
}
