/**
 * An optimizer takes a valid core module and the features it uses (the bridge's names) and returns
 * a smaller module that behaves the same. The default is binaryen's `wasm-opt -Oz`.
 */
export type Optimizer = (wasm: Uint8Array, features: readonly string[]) => Promise<Uint8Array>;

type Binaryen = typeof import('binaryen').default;

/** The binaryen feature flags for each feature the bridge detects. */
function featureMask(binaryen: Binaryen, features: readonly string[]): number {
  const F = binaryen.Features;
  const bits: Record<string, number> = {
    'mutable-globals': F.MutableGlobals,
    'sign-extension': F.SignExt,
    'saturating-float-to-int': F.NontrappingFPToInt,
    'multi-value': F.Multivalue,
    'bulk-memory': F.BulkMemory | F.BulkMemoryOpt,
    'reference-types': F.ReferenceTypes | F.CallIndirectOverlong,
    simd: F.SIMD128,
    'relaxed-simd': F.SIMD128 | F.RelaxedSIMD,
    threads: F.Atomics,
    'tail-call': F.TailCall,
    'exception-handling': F.ExceptionHandling,
    'legacy-exception-handling': F.ExceptionHandling,
    'multi-memory': F.MultiMemory,
    memory64: F.Memory64,
    'function-references': F.ReferenceTypes | F.GC,
    gc: F.ReferenceTypes | F.GC,
    'extended-const': F.ExtendedConst,
    'custom-page-sizes': F.CustomPageSizes,
  };
  return features.reduce((mask, f) => mask | (bits[f] ?? 0), F.MutableGlobals);
}

let loaded: Promise<Binaryen> | undefined;

/**
 * `wasm-opt -Oz` through the binaryen npm package (loaded on first use: it is a 14 MB module).
 * The module is read with every feature on, then optimized with only the features it already
 * uses, so that the passes do not introduce new ones (a bulk-memory `memory.fill`, say).
 */
export const wasmOptOz: Optimizer = async (wasm, features) => {
  loaded ??= import('binaryen').then((m) => m.default);
  const binaryen = await loaded;
  const module = binaryen.readBinary(wasm);
  try {
    module.setFeatures(featureMask(binaryen, features));
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(2);
    module.optimize();
    return module.emitBinary();
  } finally {
    module.dispose();
  }
};
