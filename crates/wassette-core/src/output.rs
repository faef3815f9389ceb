//! Captured stdout and stderr under one shared cap, forwarded chunk by chunk while the guest
//! writes.
//!
//! Both streams of a run write into one [`OutputSink`]. A write that would pass the cap keeps
//! what still fits, then fails with [`OutputLimitExceeded`] as a `StreamError::Trap`, so the
//! guest cannot catch it and the run ends; the runner finds that error by downcasting, never by
//! reading its text. Kept bytes go both to the capture buffers and, when the caller streams, into
//! a channel that a helper thread drains into the caller's callback.

use std::io;
use std::pin::Pin;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use crate::Stream;

/// How many bytes the guest may hand over per write. The cap is applied in `write`, so this only
/// bounds one chunk; it must never be 0, or a guest waiting for room would spin.
const WRITE_PERMIT: usize = 64 * 1024;

/// A chunk on its way to the caller's callback.
pub(crate) type Chunk = (Stream, Vec<u8>);

/// The run wrote more than `max_output_bytes`; carried inside the trap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputLimitExceeded {
    pub(crate) cap: usize,
}

impl std::fmt::Display for OutputLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the guest wrote more than {} bytes to stdout and stderr together (max_output_bytes)",
            self.cap
        )
    }
}

impl std::error::Error for OutputLimitExceeded {}

/// What the guest wrote, once the run is over.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// Bytes the guest tried to write, kept or not.
    pub(crate) attempted: u64,
}

struct SinkState {
    cap: usize,
    kept: usize,
    captured: Captured,
    forward: Option<Sender<Chunk>>,
}

/// Shared by the stdout and stderr streams of one run.
pub(crate) struct OutputSink {
    state: Mutex<SinkState>,
}

impl OutputSink {
    pub(crate) fn new(cap: usize, forward: Option<Sender<Chunk>>) -> Arc<OutputSink> {
        Arc::new(OutputSink {
            state: Mutex::new(SinkState {
                cap,
                kept: 0,
                captured: Captured::default(),
                forward,
            }),
        })
    }

    /// A stream for the WASI context.
    pub(crate) fn stream(self: &Arc<Self>, which: Stream) -> CappedStream {
        CappedStream {
            sink: self.clone(),
            which,
        }
    }

    fn lock(&self) -> MutexGuard<'_, SinkState> {
        // A panic while holding the lock cannot leave the buffers inconsistent: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps what fits under the cap; fails if anything had to be cut.
    pub(crate) fn write(&self, which: Stream, bytes: &[u8]) -> Result<(), OutputLimitExceeded> {
        let mut s = self.lock();
        s.captured.attempted += bytes.len() as u64;
        let keep = bytes.len().min(s.cap - s.kept);
        if keep > 0 {
            let kept = &bytes[..keep];
            s.kept += keep;
            match which {
                Stream::Stdout => s.captured.stdout.extend_from_slice(kept),
                Stream::Stderr => s.captured.stderr.extend_from_slice(kept),
            }
            if let Some(tx) = &s.forward {
                // The receiver only goes away if the callback thread panicked; the capture
                // still holds everything.
                let _ = tx.send((which, kept.to_vec()));
            }
        }
        if keep < bytes.len() {
            return Err(OutputLimitExceeded { cap: s.cap });
        }
        Ok(())
    }

    /// Takes the captures and closes the forwarding channel, so the callback thread ends.
    pub(crate) fn finish(&self) -> Captured {
        let mut s = self.lock();
        s.forward = None;
        std::mem::take(&mut s.captured)
    }
}

/// One of the two output streams of a run, as the WASI context sees it.
#[derive(Clone)]
pub(crate) struct CappedStream {
    sink: Arc<OutputSink>,
    which: Stream,
}

impl IsTerminal for CappedStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedStream {
    /// Always ready: writes go to memory and never wait.
    async fn ready(&mut self) {}
}

impl OutputStream for CappedStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.sink
            .write(self.which, &bytes)
            .map_err(|e| StreamError::Trap(wasmtime::Error::new(e)))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

/// The preview3 interface writes through `AsyncWrite`; same sink, the limit as an I/O error.
impl tokio::io::AsyncWrite for CappedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(
            self.sink
                .write(self.which, buf)
                .map(|()| buf.len())
                .map_err(io::Error::other),
        )
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cap_for_both_streams_and_the_crossing_write_is_cut() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = OutputSink::new(10, Some(tx));
        sink.write(Stream::Stdout, b"hello").unwrap();
        sink.write(Stream::Stderr, b"oops").unwrap();
        let err = sink.write(Stream::Stdout, b"world").unwrap_err();
        assert_eq!(err.cap, 10);
        assert!(sink.write(Stream::Stderr, b"more").is_err());
        let c = sink.finish();
        assert_eq!(
            (c.stdout.as_slice(), c.stderr.as_slice()),
            (&b"hellow"[..], &b"oops"[..])
        );
        assert_eq!(c.attempted, 18);
        let chunks: Vec<Chunk> = rx.iter().collect();
        assert_eq!(
            chunks,
            vec![
                (Stream::Stdout, b"hello".to_vec()),
                (Stream::Stderr, b"oops".to_vec()),
                (Stream::Stdout, b"w".to_vec()),
            ]
        );
    }

    #[test]
    fn a_write_that_ends_exactly_at_the_cap_is_fine() {
        let sink = OutputSink::new(4, None);
        sink.write(Stream::Stdout, b"abcd").unwrap();
        sink.write(Stream::Stdout, b"").unwrap();
        assert!(sink.write(Stream::Stdout, b"e").is_err());
        assert_eq!(sink.finish().stdout, b"abcd");
    }
}
