//! Directory listings with inode numbers, for the js engine's WASI host.
//!
//! Node's fs API reads a directory's names and types but not the inode numbers the kernel hands
//! back with them (`d_ino`), which `fd_readdir` must report; without this the host pays one lstat
//! per entry. Here the directory a held descriptor refers to is read through
//! `/proc/self/fd/N` (the kernel resolves the magic link to that very directory, whatever has
//! happened to its path), and each entry's inode and type come from the same `getdents` records.
//! Only metadata is read, never contents.
//!
//! The result is one buffer, decoded by the bridge:
//! `u32 count` (little-endian), 4 bytes of padding, `count` x `u64` inode, `count` x `u8` WASI
//! filetype, then the names, each followed by a NUL byte (a name cannot contain one).

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// WASI filetypes (`wasi_snapshot_preview1` `filetype`), as the host's own lstat path maps them.
const UNKNOWN: u8 = 0;
const BLOCK_DEVICE: u8 = 1;
const CHARACTER_DEVICE: u8 = 2;
const DIRECTORY: u8 = 3;
const REGULAR_FILE: u8 = 4;
const SOCKET_STREAM: u8 = 6;
const SYMBOLIC_LINK: u8 = 7;

/// Lists the directory open as descriptor `fd` of this process: names, inode numbers and types,
/// without `.` and `..`. An entry whose type the directory records do not carry (some
/// filesystems) is lstat-ed relative to the directory; one removed meanwhile is left out.
#[napi(js_name = "listDirectoryFd")]
pub fn list_directory_fd(fd: u32) -> napi::Result<Buffer> {
    list(fd)
        .map(Buffer::from)
        .map_err(|e| napi::Error::from_reason(format!("listing descriptor {fd}: {e}")))
}

#[cfg(target_os = "linux")]
fn list(fd: u32) -> std::io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{DirEntryExt, FileTypeExt};

    let mut inodes: Vec<u64> = Vec::new();
    let mut types: Vec<u8> = Vec::new();
    let mut names: Vec<u8> = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/self/fd/{fd}"))? {
        let entry = entry?;
        // `file_type` uses the record's d_type and falls back to an lstat when it is unknown.
        let kind = match entry.file_type() {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let filetype = if kind.is_file() {
            REGULAR_FILE
        } else if kind.is_dir() {
            DIRECTORY
        } else if kind.is_symlink() {
            SYMBOLIC_LINK
        } else if kind.is_char_device() {
            CHARACTER_DEVICE
        } else if kind.is_block_device() {
            BLOCK_DEVICE
        } else if kind.is_socket() {
            SOCKET_STREAM
        } else {
            UNKNOWN
        };
        inodes.push(entry.ino());
        types.push(filetype);
        names.extend_from_slice(entry.file_name().as_bytes());
        names.push(0);
    }
    let count = inodes.len();
    let mut out = Vec::with_capacity(8 + count * 9 + names.len());
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    for ino in inodes {
        out.extend_from_slice(&ino.to_le_bytes());
    }
    out.extend_from_slice(&types);
    out.extend_from_slice(&names);
    Ok(out)
}

#[cfg(not(target_os = "linux"))]
fn list(_fd: u32) -> std::io::Result<Vec<u8>> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "listing by descriptor needs /proc/self/fd (Linux)",
    ))
}
