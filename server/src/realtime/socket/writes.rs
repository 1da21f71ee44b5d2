//! [`Gathered`]: the connection under a WebSocket, gathering what is
//! written between flushes into one buffer that exists only until the
//! flush.
//!
//! tungstenite's own write buffer keeps the capacity of the largest frame
//! it ever formatted, for the socket's life. The socket is therefore set to
//! hand each frame on at once (`write_buffer_size` 0) and no frame over
//! [`super::PIECE_BYTES`] is written whole, so that buffer stays under a
//! piece; the gathering, which makes a batch of frames one `write` on the
//! connection instead of one per frame, happens here, in a buffer that is
//! let go at every flush. An idle socket holds no write buffer at all.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Once this much is gathered, it goes to the connection before more is
/// taken (and a connection that cannot take it holds the writer back).
pub const WRITE_AT: usize = 4 * 1024;

/// An `AsyncRead + AsyncWrite` that passes reads through and gathers
/// writes until a flush, or until [`WRITE_AT`] bytes are waiting.
pub struct Gathered<S> {
    inner: S,
    gathered: Vec<u8>,
    /// How much of `gathered` the connection has taken.
    sent: usize,
}

impl<S> Gathered<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            gathered: Vec::new(),
            sent: 0,
        }
    }

    /// The bytes of buffer held, whether or not they are used.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.gathered.capacity()
    }
}

impl<S: AsyncWrite + Unpin> Gathered<S> {
    /// Hands everything gathered to the connection.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.gathered.len() {
            let taken =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.gathered[self.sent..]))?;
            if taken == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += taken;
        }
        self.gathered.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Gathered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Gathered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.gathered.len() >= WRITE_AT {
            ready!(self.poll_send(cx))?;
        }
        self.gathered.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send(cx))?;
        // Sent: the buffer goes until the next write needs one.
        self.gathered = Vec::new();
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::AsyncWriteExt;

    use super::*;

    /// A connection that records each write it takes, and takes none
    /// while `full` is set.
    #[derive(Clone, Default)]
    struct Recorder {
        writes: Arc<Mutex<Vec<Vec<u8>>>>,
        full: Arc<Mutex<bool>>,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if *self.full.lock().unwrap() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.writes.lock().unwrap().push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn writes_until_a_flush_go_out_as_one_and_the_buffer_goes_with_them() {
        let connection = Recorder::default();
        let mut socket = Gathered::new(connection.clone());
        for frame in [&b"one"[..], b"two", b"three"] {
            socket.write_all(frame).await.unwrap();
        }
        assert!(connection.writes.lock().unwrap().is_empty());
        socket.flush().await.unwrap();
        assert_eq!(
            *connection.writes.lock().unwrap(),
            [b"onetwothree".to_vec()]
        );
        assert_eq!(socket.held(), 0, "no buffer kept after the flush");
    }

    #[tokio::test]
    async fn a_large_batch_goes_out_every_write_at_bytes() {
        let connection = Recorder::default();
        let mut socket = Gathered::new(connection.clone());
        let frame = [7_u8; 1000];
        for _ in 0..10 {
            socket.write_all(&frame).await.unwrap();
        }
        socket.flush().await.unwrap();
        let sizes: Vec<usize> = connection
            .writes
            .lock()
            .unwrap()
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(
            sizes,
            [5000, 5000],
            "sent once past {WRITE_AT} bytes, then at the flush"
        );
    }

    #[tokio::test]
    async fn a_connection_that_takes_nothing_holds_the_writer_back() {
        let connection = Recorder::default();
        *connection.full.lock().unwrap() = true;
        let mut socket = Gathered::new(connection.clone());
        socket.write_all(&[1; WRITE_AT]).await.unwrap();
        let mut more = std::pin::pin!(socket.write_all(b"more"));
        assert!(
            futures_util::poll!(&mut more).is_pending(),
            "the write waits for the connection"
        );
        *connection.full.lock().unwrap() = false;
        more.await.unwrap();
        socket.flush().await.unwrap();
        let sent: usize = connection.writes.lock().unwrap().iter().map(Vec::len).sum();
        assert_eq!(sent, WRITE_AT + 4, "nothing lost");
    }
}
