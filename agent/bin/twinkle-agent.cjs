#!/usr/bin/env node
// The `twinkle-agent` command (`npx twinkle-agent doctor`): a committed file, so npm links
// the command at install time, before a build in this repository has written dist/.
require('../dist/cli.js');
