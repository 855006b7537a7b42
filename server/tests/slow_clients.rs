//! Clients that hold connections without using them: silent, trickling, idle after an answer,
//! stalled mid-body, and a flood of idle sockets. Each waits out the 30-second timeouts, so
//! the cases run side by side.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Options, Server};

/// The documented timeout, and how much later than it a connection may be closed.
const TIMEOUT: Duration = Duration::from_secs(30);
const SLACK: Duration = Duration::from_secs(10);

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(TIMEOUT + SLACK + SLACK))
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
fn closed_after_the_timeout(case: &str, after: Duration) {
    assert!(
        after >= TIMEOUT - Duration::from_secs(1) && after <= TIMEOUT + SLACK,
        "{case}: closed after {after:?}, not about {TIMEOUT:?}"
    );
}

#[test]
fn silent_trickling_idle_and_stalled_clients_are_disconnected_after_30_seconds() {
    let server = Server::start();
    let server = &server;
    std::thread::scope(|scope| {
        // Connects and sends nothing.
        scope.spawn(move || {
            let stream = connect(server);
            let (answer, after) = until_closed(stream, Instant::now());
            closed_after_the_timeout("silent", after);
            assert!(!answer.contains("200"), "{answer}");
        });
        // Sends a request head one byte every 2 s: it would take minutes.
        scope.spawn(move || {
            let mut stream = connect(server);
            let started = Instant::now();
            let head = b"GET /v1/connections HTTP/1.1\r\nhost: x\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
            for byte in head {
                if stream.write_all(&[*byte]).is_err() || started.elapsed() > TIMEOUT + SLACK {
                    break;
                }
                std::thread::sleep(Duration::from_secs(2));
            }
            let (_, after) = until_closed(stream, started);
            closed_after_the_timeout("trickling head", after);
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
            closed_after_the_timeout("idle keep-alive", after);
        });
        // Sends a head and part of its body, then nothing: 408 with the error body, then closed.
        scope.spawn(move || {
            let mut stream = connect(server);
            let body = br#"{"name":"#;
            let head = format!(
                "POST /v1/admin/sites HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
                 content-type: application/json\r\ncontent-length: 40\r\n\r\n",
                server.admin_token
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body).unwrap();
            let (answer, after) = until_closed(stream, Instant::now());
            closed_after_the_timeout("stalled body", after);
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            let lower = answer.to_ascii_lowercase();
            assert!(lower.contains("x-request-id: req_"), "{answer}");
            assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
        });
        // A slow but live body (a part every 5 s) is read to the end and answered.
        scope.spawn(move || {
            let mut stream = connect(server);
            let body = br#"{"name":"slow but alive"}"#;
            let head = format!(
                "POST /v1/admin/sites HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
                 content-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
                server.admin_token,
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
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
    // The cap follows the raised limit (the log reaches the pipe a moment later).
    let logged = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(40));
        server.logs().contains("max_connections=3872")
    });
    assert!(logged, "{}", server.logs());
    assert!(server.stop().success());
}

#[tokio::test]
async fn a_flood_of_idle_sockets_does_not_lock_other_clients_out() {
    // 256 files: 128 connections at most, the rest kept for the database and the runtime.
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
        .timeout(TIMEOUT + SLACK + SLACK)
        .build()
        .unwrap();
    let answer = client
        .get(format!("{}/v1/nothing", api.base))
        .send()
        .await
        .expect("a request waiting behind the flood is answered");
    assert_eq!(answer.status().as_u16(), 404);
    assert!(
        started.elapsed() <= TIMEOUT + SLACK,
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
