#!/usr/bin/env node
// The "TypeScript (aggstem)" kernel: tslab, started so that a notebook in ANY folder can
// `import * as ag from 'aggstem'` (and arquero, @types/node, …), not only notebooks inside this
// project (docs/notebooks.md, "Where a notebook may live").
//
// Jupyter starts the kernel in the notebook's folder. Two lookups then miss the project:
// - at run time, tslab's `require` resolves from that folder: NODE_PATH (set in the kernelspec's
//   env and again here) adds the project's node_modules;
// - at type-check time, tslab's TypeScript (a fork, with fixed compiler options that no kernelspec
//   can change) resolves `<folder or an ancestor>/node_modules/<pkg>`: the same lookups are answered
//   from `<project>/node_modules/<pkg>` when the notebook's own tree has no such file. Packages the
//   notebook's tree does have win, as in plain Node resolution. tslab itself does the same trick
//   for `import 'tslab'` (forwardTslabPath in its converter).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const PROJECT = path.resolve(__dirname, '..');
const MODULES = path.join(PROJECT, 'node_modules');
const SEGMENT = `${path.sep}node_modules${path.sep}`;
const cwd = process.cwd();

process.env.NODE_PATH = [MODULES, ...(process.env.NODE_PATH ? process.env.NODE_PATH.split(path.delimiter) : [])].join(path.delimiter);
require('node:module').Module._initPaths();

/** `<cwd or an ancestor>/node_modules/<rest>` → `<project>/node_modules/<rest>`, else null. */
function inProject(p) {
  if (typeof p !== 'string') return null;
  const i = p.indexOf(SEGMENT);
  if (i < 0 && !p.endsWith(`${path.sep}node_modules`)) return null;
  const prefix = i < 0 ? p.slice(0, -'/node_modules'.length) : p.slice(0, i);
  const ancestor = prefix === '' || cwd === prefix || cwd.startsWith(prefix + path.sep);
  if (!ancestor || prefix === PROJECT || PROJECT.startsWith(prefix + path.sep)) return null;
  return i < 0 ? MODULES : path.join(MODULES, p.slice(i + SEGMENT.length));
}

const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [PROJECT] }));
const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
const sys = ts.sys;
const orig = { fileExists: sys.fileExists, directoryExists: sys.directoryExists, readFile: sys.readFile, realpath: sys.realpath, readDirectory: sys.readDirectory, getDirectories: sys.getDirectories };
sys.fileExists = (p) => orig.fileExists.call(sys, p) || (inProject(p) !== null && orig.fileExists.call(sys, inProject(p)));
sys.directoryExists = (p) => orig.directoryExists.call(sys, p) || (inProject(p) !== null && orig.directoryExists.call(sys, inProject(p)));
sys.readFile = (p, enc) => {
  const own = orig.readFile.call(sys, p, enc);
  return own !== undefined || inProject(p) === null ? own : orig.readFile.call(sys, inProject(p), enc);
};
// Resolved modules get their real path in the project, so everything they import resolves there.
sys.realpath = (p) => (!fs.existsSync(p) && inProject(p) !== null && fs.existsSync(inProject(p)) ? orig.realpath.call(sys, inProject(p)) : orig.realpath.call(sys, p));
sys.readDirectory = (p, ...rest) => (!orig.directoryExists.call(sys, p) && inProject(p) !== null ? orig.readDirectory.call(sys, inProject(p), ...rest) : orig.readDirectory.call(sys, p, ...rest));
sys.getDirectories = (p) => (!orig.directoryExists.call(sys, p) && inProject(p) !== null ? orig.getDirectories.call(sys, inProject(p)) : orig.getDirectories.call(sys, p));

module.exports = { inProject };
if (require.main === module) require(path.join(tslabDir, 'dist', 'main.js')).main();
