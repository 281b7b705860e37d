#!/usr/bin/env node
// Same as `npx ztp`: the launcher lives in apps/ztp/bin.
import '../apps/ztp/bin/ztp.js';
