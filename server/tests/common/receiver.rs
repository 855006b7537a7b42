//! A webhook receiver on 127.0.0.1: records every request it gets (headers and body) and
//! answers the statuses it is told to, in turn (the last one repeated), so that tests can see
//! what credport-server delivered, retried and signed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// One request as the receiver got it.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

struct Inner {
    answers: VecDeque<u16>,
    got: Vec<Delivery>,
    /// Held by [`Receiver::hold`].
    gate: super::gate::Gate,
}

#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// A receiver answering 200 until told otherwise.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            answers: VecDeque::new(),
            got: Vec::new(),
            gate: super::gate::Gate::open(),
        }));
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            port,
            inner,
        }
    }

    /// Answers `statuses` in turn, then keeps answering the last one.
    pub fn answer(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().answers = statuses.iter().copied().collect();
    }

    /// Holds the answers from now until [`Receiver::release`]: a request is recorded when it
    /// arrives and answered after the release.
    pub fn hold(&self) {
        self.inner.lock().unwrap().gate.hold();
    }

    pub fn release(&self) {
        self.inner.lock().unwrap().gate.release();
    }

    pub fn got(&self) -> Vec<Delivery> {
        self.inner.lock().unwrap().got.clone()
    }

    /// Waits (at most 30 s) until `done` holds for what was received; returns it.
    pub async fn wait_for(&self, done: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        self.wait_for_within(std::time::Duration::from_secs(30), done)
            .await
    }

    /// [`Receiver::wait_for`], at most `limit`.
    pub async fn wait_for_within(
        &self,
        limit: std::time::Duration,
        done: impl Fn(&[Delivery]) -> bool,
    ) -> Vec<Delivery> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let got = self.got();
            if done(&got) {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the receiver did not get what was expected: {got:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let passage = {
        let mut inner = inner.lock().unwrap();
        inner.got.push(Delivery {
            path: uri.path().to_owned(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        inner.gate.passage()
    };
    passage.await;
    let mut inner = inner.lock().unwrap();
    let status = if inner.answers.len() > 1 {
        inner.answers.pop_front().unwrap()
    } else {
        inner.answers.front().copied().unwrap_or(200)
    };
    let status = StatusCode::from_u16(status).unwrap();
    if status.is_redirection() {
        return (status, [("location", "/redirected")], "").into_response();
    }
    (status, "ok").into_response()
}
