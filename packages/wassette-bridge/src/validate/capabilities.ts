import type { Capability, WasiVersion } from './report.js';

export const WASI_PREVIEW1_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

/** Capabilities a WASI preview1 function gives access to (functions that touch nothing, like sched_yield, map to none). */
function preview1Capability(name: string): Capability | undefined {
  if (
    name.startsWith('path_') ||
    name === 'fd_prestat_get' ||
    name === 'fd_prestat_dir_name' ||
    name === 'fd_readdir'
  ) {
    return 'filesystem';
  }
  if (name.startsWith('fd_')) return 'stdio';
  if (name.startsWith('environ_')) return 'env';
  if (name.startsWith('args_')) return 'args';
  if (name.startsWith('clock_')) return 'clocks';
  if (name === 'random_get') return 'random';
  if (name.startsWith('sock_')) return 'sockets';
  if (name === 'proc_exit' || name === 'proc_raise') return 'exit';
  if (name === 'poll_oneoff') return 'poll';
  return undefined;
}

/** Capabilities of a WASI preview2 interface import such as `wasi:filesystem/types@0.2.0`. */
function preview2Capabilities(name: string): Capability[] {
  const m = /^wasi:([a-z-]+)\/([a-z-]+)/.exec(name);
  if (!m) return [];
  const [, pkg, iface] = m;
  switch (pkg) {
    case 'filesystem':
      return ['filesystem'];
    case 'clocks':
      return ['clocks'];
    case 'random':
      return ['random'];
    case 'sockets':
      return ['sockets'];
    case 'http':
      return ['http'];
    case 'io':
      return iface === 'poll' ? ['poll'] : [];
    case 'cli':
      if (iface === 'environment') return ['env', 'args'];
      if (iface === 'exit') return ['exit'];
      return ['stdio'];
    default:
      return [];
  }
}

const ORDER: readonly Capability[] = [
  'filesystem',
  'env',
  'args',
  'clocks',
  'random',
  'sockets',
  'http',
  'exit',
  'stdio',
  'poll',
];

function sorted(set: Set<Capability>): Capability[] {
  return ORDER.filter((c) => set.has(c));
}

export function coreCapabilities(imports: readonly { module: string; name: string }[]): {
  wasi: WasiVersion;
  capabilities: Capability[];
  legacyWasi: boolean;
} {
  const caps = new Set<Capability>();
  let wasi: WasiVersion = 'none';
  let legacyWasi = false;
  for (const i of imports) {
    if (!WASI_PREVIEW1_MODULES.has(i.module)) continue;
    wasi = 'preview1';
    if (i.module === 'wasi_unstable') legacyWasi = true;
    const c = preview1Capability(i.name);
    if (c) caps.add(c);
  }
  return { wasi, capabilities: sorted(caps), legacyWasi };
}

export function componentCapabilities(importNames: readonly string[]): {
  wasi: WasiVersion;
  capabilities: Capability[];
} {
  const caps = new Set<Capability>();
  let wasi: WasiVersion = 'none';
  for (const n of importNames) {
    if (n.startsWith('wasi:')) wasi = 'preview2';
    for (const c of preview2Capabilities(n)) caps.add(c);
  }
  return { wasi, capabilities: sorted(caps) };
}
