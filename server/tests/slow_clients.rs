//! Clients that hold connections without using them: silent, trickling, idle after an answer,
//! stalled or trickling mid-body, more connections than the server serves at once, a flood of
//! idle sockets, and a shutdown with a request in flight. Each waits out a timeout (30 s for a
//! request head, 30 s for a body, 20 s of shutdown grace), so the cases run side by side.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Options, Server};

/// The documented timeouts (a whole request head, a whole body), and how much later than one a
/// connection may be closed.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const SLACK: Duration = Duration::from_secs(8);

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(BODY_TIMEOUT + SLACK + SLACK))
        .unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent and when it closed,
/// counted from `since`.
fn until_closed(mut stream: TcpStream, since: Instant) -> (String, Duration) {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open: {e}"),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        since.elapsed(),
    )
}

#[track_caller]
fn closed_after(case: &str, after: Duration, timeout: Duration) {
    assert!(
        after >= timeout - Duration::from_secs(1) && after <= timeout + SLACK,
        "{case}: closed after {after:?}, not about {timeout:?}"
    );
}

/// The head of a site-creating `POST` with a body of `length` bytes.
fn create_site_head(server: &Server, length: usize) -> String {
    format!(
        "POST /v1/admin/sites HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\nconnection: close\r\ncontent-length: {length}\r\n\r\n",
        server.admin_token
    )
}

/// A connection whose `POST /v1/admin/sites` of `length` bytes is in flight, its body not sent
/// yet: the head asks `Expect: 100-continue`, and the server's `100 Continue` comes once the
/// handler reads the body, which no outside sign shows otherwise.
fn in_flight_create_site(server: &Server, length: usize) -> TcpStream {
    let mut stream = connect(server);
    let head = create_site_head(server, length);
    let head = head.replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream
}

#[test]
fn heads_and_bodies_have_30_seconds() {
    let server = Server::start();
    let server = &server;
    std::thread::scope(|scope| {
        // Connects and sends nothing.
        scope.spawn(move || {
            let stream = connect(server);
            let (answer, after) = until_closed(stream, Instant::now());
            closed_after("silent", after, HEAD_TIMEOUT);
            assert!(!answer.contains("200"), "{answer}");
        });
        // Sends a request head one byte every 2 s: it would take minutes.
        scope.spawn(move || {
            let mut stream = connect(server);
            let started = Instant::now();
            let head = b"GET /v1/connections HTTP/1.1\r\nhost: x\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
            for byte in head {
                if stream.write_all(&[*byte]).is_err() || started.elapsed() > HEAD_TIMEOUT + SLACK
                {
                    break;
                }
                std::thread::sleep(Duration::from_secs(2));
            }
            let (_, after) = until_closed(stream, started);
            closed_after("trickling head", after, HEAD_TIMEOUT);
        });
        // Makes one request on a keep-alive connection, then idles.
        scope.spawn(move || {
            let mut stream = connect(server);
            stream
                .write_all(b"GET /v1/nothing HTTP/1.1\r\nhost: x\r\n\r\n")
                .unwrap();
            let mut first = [0u8; 1024];
            let n = stream.read(&mut first).unwrap();
            let answered = Instant::now();
            assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 404"));
            let (_, after) = until_closed(stream, answered);
            closed_after("idle keep-alive", after, HEAD_TIMEOUT);
        });
        // Sends a head and part of its body, then nothing: 408 with the error body, then closed.
        scope.spawn(move || {
            let mut stream = connect(server);
            let body = br#"{"name":"#;
            stream
                .write_all(create_site_head(server, 40).as_bytes())
                .unwrap();
            stream.write_all(body).unwrap();
            let (answer, after) = until_closed(stream, Instant::now());
            closed_after("stalled body", after, BODY_TIMEOUT);
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            let lower = answer.to_ascii_lowercase();
            assert!(lower.contains("x-request-id: req_"), "{answer}");
            assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
        });
        // A body that trickles a byte every 2 s never completes within 30 s: 408, closed.
        scope.spawn(move || {
            let mut stream = connect(server);
            stream
                .write_all(create_site_head(server, 40).as_bytes())
                .unwrap();
            let started = Instant::now();
            for byte in br#"{"name":"a trickle that never ends.."}"# {
                if stream.write_all(&[*byte]).is_err() || started.elapsed() > BODY_TIMEOUT + SLACK {
                    break;
                }
                std::thread::sleep(Duration::from_secs(2));
            }
            let (answer, _) = until_closed(stream, started);
            closed_after("trickling body", started.elapsed(), BODY_TIMEOUT);
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        });
        // A slow but live body (a part every 5 s, 15 s in all) is read to the end and answered.
        scope.spawn(move || {
            let mut stream = connect(server);
            let body = br#"{"name":"slow but alive"}"#;
            stream
                .write_all(create_site_head(server, body.len()).as_bytes())
                .unwrap();
            for part in body.chunks(9) {
                std::thread::sleep(Duration::from_secs(5));
                stream.write_all(part).unwrap();
            }
            let (answer, _) = until_closed(stream, Instant::now());
            assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        });
    });
    assert!(server.stop().success());
}

/// The soft open-file limit of a running process, from /proc.
fn soft_file_limit(pid: i32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_soft_file_limit_is_raised_to_the_hard_one() {
    let server = Server::start_with(Options {
        file_limit: Some((200, 4000)),
        ..Options::default()
    });
    assert_eq!(soft_file_limit(server.pid()), 4000);
    // The cap follows the raised limit, less 128 files for the database and the runtime and 32
    // for connections answered 503 (the log reaches the pipe a moment later).
    let logged = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(40));
        server.logs().contains("max_connections=3840")
    });
    assert!(logged, "{}", server.logs());
    assert!(server.stop().success());
}

/// Connections past the cap (`file_limit` less 160) answer this: the request's status line,
/// read from a raw socket.
fn raw_get(address: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).unwrap();
    stream.set_read_timeout(Some(SLACK)).unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
        .unwrap();
    let (answer, _) = until_closed_or_answered(stream);
    answer
}

/// Reads one answer (head and declared body), or until the server closes.
fn until_closed_or_answered(mut stream: TcpStream) -> (String, Instant) {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|n| n.trim().parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                return (text, Instant::now());
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return (text, Instant::now()),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn connections_past_the_cap_are_answered_503_with_retry_after() {
    // 176 files: 16 connections served, 32 more answered 503, 128 kept for the database.
    let server = Server::start_with(Options {
        file_limit: Some((176, 176)),
        ..Options::default()
    });
    let address: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let idle: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    // Every place is taken once the server says so.
    let deadline = Instant::now() + SLACK;
    while !server.logs().contains("connection cap reached") {
        assert!(Instant::now() < deadline, "the cap was never reached");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Answered at once rather than queued: a queued request would be answered 404 later.
    let answer = raw_get(address, "/v1/nothing");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("retry-after: 1\r\n"), "{answer}");
    assert!(lower.contains("x-request-id: req_"), "{answer}");
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(answer.contains(r#""code":"unavailable""#), "{answer}");
    // Once the idle sockets have been closed (30 s without a head), the same request is served.
    let deadline = Instant::now() + HEAD_TIMEOUT + SLACK;
    let served = loop {
        let answer = raw_get(address, "/v1/nothing");
        if answer.starts_with("HTTP/1.1 404") || Instant::now() > deadline {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(served.starts_with("HTTP/1.1 404"), "{served}");
    drop(idle);
    assert!(server.stop().success());
}

#[tokio::test]
async fn a_flood_of_idle_sockets_does_not_lock_other_clients_out() {
    // 256 files: 96 connections served and 32 answered 503 at most, the rest kept for the
    // database and the runtime.
    let server = Server::start_with(Options {
        file_limit: Some((256, 256)),
        ..Options::default()
    });
    let address: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    // More idle sockets than the server may have open; it never runs out of descriptors.
    let flood: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok())
        .collect();
    assert!(flood.len() >= 140, "only {} sockets connected", flood.len());
    let started = Instant::now();
    let api = server.api();
    let client = reqwest::Client::builder()
        .timeout(HEAD_TIMEOUT + SLACK + SLACK)
        .build()
        .unwrap();
    // Told to come back (503 with Retry-After) or kept waiting, then answered.
    let status = loop {
        let answer = client
            .get(format!("{}/v1/nothing", api.base))
            .send()
            .await
            .expect("a request behind the flood is answered");
        if answer.status() != 503 || started.elapsed() > HEAD_TIMEOUT + SLACK + SLACK {
            break answer.status().as_u16();
        }
        let wait: u64 = answer.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_secs(wait)).await;
    };
    assert_eq!(status, 404);
    assert!(
        started.elapsed() <= HEAD_TIMEOUT + SLACK + SLACK,
        "answered after {:?}",
        started.elapsed()
    );
    // The idle sockets were closed by the server, not by their owner.
    let mut closed = 0;
    for mut socket in flood {
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 64];
        if matches!(socket.read(&mut buf), Ok(0) | Err(_)) {
            closed += 1;
        }
    }
    assert!(closed >= 128, "only {closed} idle sockets were closed");
    let logs = server.logs();
    assert!(logs.contains("connection cap reached"), "{logs}");
    assert!(!logs.contains("Too many open files"), "{logs}");
    assert!(server.stop().success());
}

/// Sends SIGTERM without waiting for the exit.
fn terminate(server: &Server) {
    // SAFETY: kill only sends a signal to the server's process.
    unsafe { libc::kill(server.pid(), libc::SIGTERM) };
}

#[test]
fn sigterm_finishes_requests_in_flight_and_refuses_new_connections() {
    let server = Server::start();
    let address: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let body = br#"{"name":"in flight"}"#;
    let mut in_flight = in_flight_create_site(&server, body.len());
    in_flight.write_all(&body[..5]).unwrap();
    terminate(&server);
    // The listening socket closes: a new connection is refused, not queued.
    let deadline = Instant::now() + SLACK;
    let refused = loop {
        match TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if Instant::now() > deadline => break false,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    assert!(refused, "new connections are refused after SIGTERM");
    // The request in flight is still read to its end and answered.
    in_flight.write_all(&body[5..]).unwrap_or_else(|e| {
        panic!(
            "the request in flight was cut off ({e}); log:\n{}",
            server.logs()
        )
    });
    let (answer, _) = until_closed(in_flight, Instant::now());
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "{answer}\nlog:\n{}",
        server.logs()
    );
    assert!(server.stop().success());
    assert!(server.logs().contains("shutting down"));
}

/// A tool that sees the server's announcement may stop it at once: the signal is the server's
/// to handle by then, not its default action (which kills the process mid-request).
#[test]
fn sigterm_right_after_the_announcement_is_a_graceful_stop() {
    for _ in 0..5 {
        let server = Server::start();
        let status = server.stop();
        assert!(status.success(), "{status:?}\n{}", server.logs());
    }
}

#[test]
fn sigterm_stops_after_20_seconds_of_a_request_that_never_finishes() {
    let server = Server::start();
    let mut stalled = in_flight_create_site(&server, 40);
    stalled.write_all(br#"{"name":"#).unwrap();
    let signalled = Instant::now();
    let status = server.stop();
    closed_after(
        "shutdown grace",
        signalled.elapsed(),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{status:?}");
    assert!(
        server
            .logs()
            .contains("still in flight after the grace period"),
        "{}",
        server.logs()
    );
}
