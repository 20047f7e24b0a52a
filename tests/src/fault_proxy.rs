//! The fault proxy (故障代理): a TCP proxy on loopback between phones and the server that does
//! to connections what a factory's mobile network does — cuts them at a random byte in either
//! direction (in a header, in a photo body, in an answer), resets them (RST instead of a
//! close), stalls them for seconds, trickles them a few bytes at a time, and cuts the answer
//! to a report batch after the server has committed it, so that the phone never hears it.
//!
//! Faults are drawn per connection from a seed and the connection's number, so a run's faults
//! depend on its seed, not on task scheduling. The upstream address and the faults can change
//! while it runs (a restarted server listens on another port; a soak calms the network at the
//! end). Used by the sync fault tests and the chaos soak.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to connections. Chances are per connection unless said otherwise; a
/// connection carries many requests over keep-alive, so a cut lands anywhere in a photo body,
/// a header, or an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Chance that a connection's phone→server direction is cut.
    pub up_cut: f64,
    /// Bytes phone→server before that cut, drawn uniformly below this.
    pub up_budget: usize,
    /// Chance that a connection's server→phone direction is cut.
    pub down_cut: f64,
    /// Bytes server→phone before that cut, drawn uniformly below this.
    pub down_budget: usize,
    /// Chance that the answer to a `POST /api/v1/reports` is cut: the batch is committed on the
    /// server, and the phone never hears it.
    pub report_answer_cut: f64,
    /// Chance that a cut connection ends with a reset (RST) rather than a close (FIN).
    pub reset: f64,
    /// Chance, per chunk forwarded, of a stall before it.
    pub stall: f64,
    /// The longest stall.
    pub max_stall: Duration,
    /// Chance that a direction of a connection trickles: every chunk goes a few bytes at a
    /// time with a pause between.
    pub trickle: f64,
}

impl Faults {
    /// A calm network: nothing is done to connections.
    pub const NONE: Faults = Faults {
        up_cut: 0.0,
        up_budget: 1,
        down_cut: 0.0,
        down_budget: 1,
        report_answer_cut: 0.0,
        reset: 0.0,
        stall: 0.0,
        max_stall: Duration::ZERO,
        trickle: 0.0,
    };
}

/// What the proxy did, for a test's log and its sanity asserts.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections met with the server down.
    pub refused: AtomicU64,
    /// Phone→server directions cut.
    pub up_cuts: AtomicU64,
    /// Server→phone directions cut.
    pub down_cuts: AtomicU64,
    /// Of those, answers to report batches cut after commit.
    pub report_answers_cut: AtomicU64,
    /// Cut connections ended with a reset.
    pub resets: AtomicU64,
    /// Stalls.
    pub stalls: AtomicU64,
    /// Trickled directions.
    pub trickles: AtomicU64,
    /// Bytes forwarded phone→server.
    pub up_bytes: AtomicU64,
    /// Bytes forwarded server→phone.
    pub down_bytes: AtomicU64,
}

impl ProxyStats {
    /// Faults injected of every kind, in all.
    pub fn faults(&self) -> u64 {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        g(&self.up_cuts) + g(&self.down_cuts) + g(&self.stalls) + g(&self.trickles)
    }
}

impl std::fmt::Display for ProxyStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        write!(
            f,
            "{} connections ({} with the server down), {} cut phone→server, {} cut server→phone \
             ({} report-batch answers cut after commit, {} resets), {} stalls, {} trickled, \
             {} KiB up, {} KiB down",
            g(&self.connections),
            g(&self.refused),
            g(&self.up_cuts),
            g(&self.down_cuts),
            g(&self.report_answers_cut),
            g(&self.resets),
            g(&self.stalls),
            g(&self.trickles),
            g(&self.up_bytes) / 1024,
            g(&self.down_bytes) / 1024,
        )
    }
}

/// A TCP proxy on 127.0.0.1 port 0 in front of the server, doing to connections what its
/// [`Faults`] say. Stops when dropped.
pub struct FaultProxy {
    /// Where phones connect.
    pub addr: SocketAddr,
    /// Where the server listens now; a restarted server's address is set here.
    pub upstream: Arc<Mutex<SocketAddr>>,
    /// What it did.
    pub stats: Arc<ProxyStats>,
    /// Several replicas of the server, when set: connections go to them in turn (round
    /// robin, one connection each), instead of to `upstream`.
    pub replicas: Arc<Mutex<Vec<SocketAddr>>>,
    faults: Arc<Mutex<Faults>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (on the current tokio runtime).
    pub async fn start(upstream: SocketAddr, faults: Faults, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let upstream = Arc::new(Mutex::new(upstream));
        let faults = Arc::new(Mutex::new(faults));
        let stats = Arc::new(ProxyStats::default());
        let replicas: Arc<Mutex<Vec<SocketAddr>>> = Arc::new(Mutex::new(Vec::new()));
        let (up, st, fl, rs) = (
            upstream.clone(),
            stats.clone(),
            faults.clone(),
            replicas.clone(),
        );
        let task = tokio::spawn(async move {
            for n in 0u64.. {
                let Ok((phone, _)) = listener.accept().await else {
                    continue;
                };
                st.connections.fetch_add(1, Ordering::Relaxed);
                // One RNG per connection, from the seed and the connection's number.
                let rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let target = {
                    let rs = rs.lock().unwrap_or_else(|p| p.into_inner());
                    if rs.is_empty() {
                        *up.lock().unwrap_or_else(|p| p.into_inner())
                    } else {
                        rs[(n % rs.len() as u64) as usize]
                    }
                };
                let faults = *fl.lock().unwrap_or_else(|p| p.into_inner());
                tokio::spawn(connection(phone, target, faults, rng, st.clone()));
            }
        });
        FaultProxy {
            addr,
            upstream,
            stats,
            replicas,
            faults,
            task,
        }
    }

    /// The base URL phones use, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the faults of connections accepted from now on.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    /// Points the proxy at a restarted server.
    pub fn set_upstream(&self, addr: SocketAddr) {
        *self.upstream.lock().unwrap_or_else(|p| p.into_inner()) = addr;
    }

    /// Spreads connections over these replicas in turn (none: back to `upstream`).
    pub fn set_replicas(&self, addrs: Vec<SocketAddr>) {
        *self.replicas.lock().unwrap_or_else(|p| p.into_inner()) = addrs;
    }

    /// Points replica `i` at its restarted server.
    pub fn set_replica(&self, i: usize, addr: SocketAddr) {
        if let Some(r) = self
            .replicas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(i)
        {
            *r = addr;
        }
    }
}

/// Shared between the two directions of one connection: whether the request being answered
/// is a report batch.
#[derive(Default)]
struct Exchange {
    reports_request: AtomicBool,
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The sender closed its side normally.
    Eof,
    /// The proxy cut the connection (or a socket failed): drop both sides at once.
    Cut,
}

/// How one direction of a connection misbehaves.
struct Direction {
    /// Bytes before a cut, if it is cut.
    budget: Option<usize>,
    /// Whether it trickles.
    trickle: bool,
    rng: StdRng,
}

impl Direction {
    fn draw(rng: &mut StdRng, cut: f64, budget: usize, trickle: f64) -> Direction {
        Direction {
            budget: rng
                .random_bool(cut)
                .then(|| rng.random_range(0..budget.max(1))),
            trickle: rng.random_bool(trickle),
            rng: StdRng::seed_from_u64(rng.random()),
        }
    }
}

async fn connection(
    phone: TcpStream,
    target: SocketAddr,
    faults: Faults,
    mut rng: StdRng,
    stats: Arc<ProxyStats>,
) {
    let Ok(server) = TcpStream::connect(target).await else {
        // The server is down (killed): the phone sees its connection closed.
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = phone.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let up = Direction::draw(&mut rng, faults.up_cut, faults.up_budget, faults.trickle);
    let down = Direction::draw(
        &mut rng,
        faults.down_cut,
        faults.down_budget,
        faults.trickle,
    );
    // A reset is decided up front: with SO_LINGER 0 a socket's close sends RST. Only a
    // connection that will be cut gets it, so that normal closes stay normal.
    let cut_at_all = up.budget.is_some() || down.budget.is_some() || faults.report_answer_cut > 0.0;
    let resetting = cut_at_all && rng.random_bool(faults.reset);
    if resetting {
        let _ = phone.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    for d in [&up, &down] {
        if d.trickle {
            stats.trickles.fetch_add(1, Ordering::Relaxed);
        }
    }
    let (pr, pw) = phone.into_split();
    let (sr, sw) = server.into_split();
    let exchange = Arc::new(Exchange::default());
    let up = pump_up(pr, sw, up, faults, exchange.clone(), stats.clone());
    let down = pump_down(sr, pw, down, faults, exchange, stats.clone());
    tokio::pin!(up, down);
    // A cut in either direction drops both sockets (returning drops them); a normal close
    // of one direction lets the other finish.
    let cut = tokio::select! {
        e = &mut up => if e == End::Eof { down.await == End::Cut } else { true },
        e = &mut down => if e == End::Eof { up.await == End::Cut } else { true },
    };
    if cut && resetting {
        stats.resets.fetch_add(1, Ordering::Relaxed);
    }
}

/// Forwards `from` to `to` until end of stream, an error, or the byte budget runs out,
/// stalling and trickling as told. `look` sees each chunk before it is forwarded and may lower
/// the budget. Answers how it ended and whether that was the budget running out.
async fn forward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut dir: Direction,
    faults: Faults,
    stats: &ProxyStats,
    bytes: &AtomicU64,
    mut look: impl FnMut(&[u8], &mut Option<usize>),
) -> (End, bool) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return (End::Eof, false);
            }
            Ok(n) => n,
            Err(_) => return (End::Cut, false),
        };
        look(&buf[..n], &mut dir.budget);
        if faults.stall > 0.0 && dir.rng.random_bool(faults.stall) {
            stats.stalls.fetch_add(1, Ordering::Relaxed);
            let ms = dir
                .rng
                .random_range(0..=faults.max_stall.as_millis() as u64);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let pass = dir.budget.map_or(n, |b| b.min(n));
        let mut sent = 0;
        while sent < pass {
            let piece = if dir.trickle {
                dir.rng.random_range(1..=256).min(pass - sent)
            } else {
                pass - sent
            };
            if to.write_all(&buf[sent..sent + piece]).await.is_err() {
                return (End::Cut, false);
            }
            sent += piece;
            if dir.trickle {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        bytes.fetch_add(pass as u64, Ordering::Relaxed);
        if let Some(b) = dir.budget.as_mut() {
            *b -= pass;
            if *b == 0 {
                return (End::Cut, true);
            }
        }
    }
}

/// Phone → server: forwards until the budget runs out, and notes which request is in flight.
async fn pump_up(
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    dir: Direction,
    faults: Faults,
    exchange: Arc<Exchange>,
    stats: Arc<ProxyStats>,
) -> End {
    let (end, spent) = forward(
        from,
        to,
        dir,
        faults,
        &stats,
        &stats.up_bytes,
        |chunk, _| {
            // Requests on one connection go one after the other (no pipelining), so the last
            // request line seen is the one being answered.
            if let Some(line) = request_line(chunk) {
                exchange
                    .reports_request
                    .store(line.starts_with(b"POST /api/v1/reports "), Ordering::SeqCst);
            }
        },
    )
    .await;
    if spent {
        stats.up_cuts.fetch_add(1, Ordering::Relaxed);
    }
    end
}

/// Server → phone: forwards until the budget runs out; the answer of a report batch may also
/// be cut part-way, after the server committed the batch.
async fn pump_down(
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    mut dir: Direction,
    faults: Faults,
    exchange: Arc<Exchange>,
    stats: Arc<ProxyStats>,
) -> End {
    let mut answer_cut = false;
    let mut rng = StdRng::seed_from_u64(dir.rng.random());
    dir.rng = StdRng::seed_from_u64(rng.random());
    let (end, spent) = forward(
        from,
        to,
        dir,
        faults,
        &stats,
        &stats.down_bytes,
        |chunk, budget| {
            if chunk.starts_with(b"HTTP/1.1 ")
                && exchange.reports_request.load(Ordering::SeqCst)
                && rng.random_bool(faults.report_answer_cut)
            {
                // Anywhere in the answer: in its status line, its headers or its JSON.
                let at = rng.random_range(0..chunk.len());
                if budget.is_none_or(|b| at < b) {
                    *budget = Some(at);
                    answer_cut = true;
                }
            }
        },
    )
    .await;
    if spent {
        stats.down_cuts.fetch_add(1, Ordering::Relaxed);
        if answer_cut {
            stats.report_answers_cut.fetch_add(1, Ordering::Relaxed);
        }
    }
    end
}

/// The request line at the start of a chunk, if the chunk starts a request.
fn request_line(chunk: &[u8]) -> Option<&[u8]> {
    const METHODS: [&[u8]; 5] = [b"GET ", b"HEAD ", b"PUT ", b"POST ", b"DELETE "];
    METHODS
        .iter()
        .any(|m| chunk.starts_with(m))
        .then(|| chunk.split(|b| *b == b'\r').next().unwrap_or(chunk))
}
