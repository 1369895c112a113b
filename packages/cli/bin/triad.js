#!/usr/bin/env node
// The `triad` admin command: runs the TypeScript sources through tsx, wherever it is called from.
require(require.resolve('tsx/cjs', { paths: [__dirname] }));
require('../src/main.ts');
