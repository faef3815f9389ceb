/**
 * The signature of every wasi_snapshot_preview1 import, as core wasm value types. The host uses it to
 * check that it implements the whole module; tests use it to generate WAT guests that call each import.
 */

export type WasmValueType = 'i32' | 'i64';

export interface WasiFunctionSignature {
  params: readonly WasmValueType[];
  /** Every preview1 function returns an errno except `proc_exit`, which does not return. */
  result: 'i32' | null;
}

const errnoFn = (...params: WasmValueType[]): WasiFunctionSignature => ({ params, result: 'i32' });

export const WASI_PREVIEW1_SIGNATURES = {
  args_get: errnoFn('i32', 'i32'),
  args_sizes_get: errnoFn('i32', 'i32'),
  environ_get: errnoFn('i32', 'i32'),
  environ_sizes_get: errnoFn('i32', 'i32'),
  clock_res_get: errnoFn('i32', 'i32'),
  clock_time_get: errnoFn('i32', 'i64', 'i32'),
  fd_advise: errnoFn('i32', 'i64', 'i64', 'i32'),
  fd_allocate: errnoFn('i32', 'i64', 'i64'),
  fd_close: errnoFn('i32'),
  fd_datasync: errnoFn('i32'),
  fd_fdstat_get: errnoFn('i32', 'i32'),
  fd_fdstat_set_flags: errnoFn('i32', 'i32'),
  fd_fdstat_set_rights: errnoFn('i32', 'i64', 'i64'),
  fd_filestat_get: errnoFn('i32', 'i32'),
  fd_filestat_set_size: errnoFn('i32', 'i64'),
  fd_filestat_set_times: errnoFn('i32', 'i64', 'i64', 'i32'),
  fd_pread: errnoFn('i32', 'i32', 'i32', 'i64', 'i32'),
  fd_prestat_get: errnoFn('i32', 'i32'),
  fd_prestat_dir_name: errnoFn('i32', 'i32', 'i32'),
  fd_pwrite: errnoFn('i32', 'i32', 'i32', 'i64', 'i32'),
  fd_read: errnoFn('i32', 'i32', 'i32', 'i32'),
  fd_readdir: errnoFn('i32', 'i32', 'i32', 'i64', 'i32'),
  fd_renumber: errnoFn('i32', 'i32'),
  fd_seek: errnoFn('i32', 'i64', 'i32', 'i32'),
  fd_sync: errnoFn('i32'),
  fd_tell: errnoFn('i32', 'i32'),
  fd_write: errnoFn('i32', 'i32', 'i32', 'i32'),
  path_create_directory: errnoFn('i32', 'i32', 'i32'),
  path_filestat_get: errnoFn('i32', 'i32', 'i32', 'i32', 'i32'),
  path_filestat_set_times: errnoFn('i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32'),
  path_link: errnoFn('i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'),
  path_open: errnoFn('i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32', 'i32'),
  path_readlink: errnoFn('i32', 'i32', 'i32', 'i32', 'i32', 'i32'),
  path_remove_directory: errnoFn('i32', 'i32', 'i32'),
  path_rename: errnoFn('i32', 'i32', 'i32', 'i32', 'i32', 'i32'),
  path_symlink: errnoFn('i32', 'i32', 'i32', 'i32', 'i32'),
  path_unlink_file: errnoFn('i32', 'i32', 'i32'),
  poll_oneoff: errnoFn('i32', 'i32', 'i32', 'i32'),
  proc_exit: { params: ['i32'], result: null },
  proc_raise: errnoFn('i32'),
  sched_yield: errnoFn(),
  random_get: errnoFn('i32', 'i32'),
  sock_accept: errnoFn('i32', 'i32', 'i32'),
  sock_recv: errnoFn('i32', 'i32', 'i32', 'i32', 'i32', 'i32'),
  sock_send: errnoFn('i32', 'i32', 'i32', 'i32', 'i32'),
  sock_shutdown: errnoFn('i32', 'i32'),
} as const satisfies Record<string, WasiFunctionSignature>;

export type WasiFunctionName = keyof typeof WASI_PREVIEW1_SIGNATURES;
