#!/usr/bin/env node
// The `rotator` command: TypeScript sources run through tsx, so there is no build step.
'use strict';
require('tsx/cjs');
require('../cli/main.ts');
