//! A loopback TCP proxy that tests stop and restart on the same port, to play a peer that goes away and
//! comes back (stopping it closes every connection it carries).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub struct TcpProxy {
    port: u16,
    upstream: SocketAddr,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let task = tokio::spawn(forward(listener, upstream));
        Self { port, upstream, task: Mutex::new(Some(task)) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the listener and every forwarded connection.
    pub async fn stop(&self) {
        let task = self.task.lock().expect("proxy lock").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port (a few tries, 1 s at most).
    pub async fn restart(&self) {
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", self.port)).await {
                *self.task.lock().expect("proxy lock") = Some(tokio::spawn(forward(listener, self.upstream)));
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("cannot listen on port {} again", self.port);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().ok().and_then(|mut t| t.take()) {
            task.abort();
        }
    }
}

/// Accepts and forwards until aborted; dropping the task drops the `JoinSet`, which aborts every connection.
async fn forward(listener: TcpListener, upstream: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((mut client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        connections.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = server.set_nodelay(true);
                let _ = client.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}
