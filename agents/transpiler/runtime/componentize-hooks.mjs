/**
 * Module resolution hooks for the componentize child process (registered by componentize.mjs).
 *
 * They work around two installation problems of @bytecodealliance/componentize-js, without
 * touching node_modules:
 * - it imports @bytecodealliance/preview2-shim at run time but declares it only as a dev
 *   dependency, so npm may not install it where componentize-js can find it. Every import of the
 *   shim is resolved from the folder holding the copy the parent process found (`shimDir`), so the
 *   runner and componentize-js share one instance.
 * - @bytecodealliance/weval (used only for ahead-of-time compilation, which Portalis never asks
 *   for) imports @napi-rs/lzma, whose native binding may be missing; that import gets a stub that
 *   throws if it is ever called.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

let shimParentURL;

export function initialize(data) {
  if (data?.shimDir)
    shimParentURL = pathToFileURL(join(dirname(dirname(dirname(data.shimDir))), 'portalis-resolve.js')).href;
}

const XZ_STUB = `data:text/javascript,${encodeURIComponent(
  "export default { decompress() { throw new Error('weval ahead-of-time compilation is not available in Portalis'); } };",
)}`;

export async function resolve(specifier, context, next) {
  if (specifier === '@napi-rs/lzma/xz' && context.parentURL?.includes('/@bytecodealliance/weval/'))
    return { url: XZ_STUB, shortCircuit: true };
  if (
    shimParentURL &&
    (specifier === '@bytecodealliance/preview2-shim' || specifier.startsWith('@bytecodealliance/preview2-shim/'))
  )
    return next(specifier, { ...context, parentURL: shimParentURL });
  return next(specifier, context);
}
