//! Whether every worker of the async runtime has nothing to do, for the SQLite writer's pacing.
//!
//! The writer waits up to its commit interval before a group so that the writes of the moment
//! gather into it ([`crate::db::sqlite`]). That wait gains something only while requests are
//! being worked on that may send a write to join the group. When every worker is parked, none
//! is: each request in the server is waiting (most of them for the writer itself), and the rest
//! of the interval would be time lost, with the processor idle. Under 32 clients that each wait
//! for their own write, the interval had capped the route at 32 writes a millisecond
//! (docs/performance.md); the writer now commits as soon as the workers have all parked.
//!
//! The runtime reports its workers' parking through [`worker_parked`] and [`worker_unparked`]
//! (tokio's `on_thread_park` and `on_thread_unpark`), after [`count_workers`]. Without them (a
//! runtime built elsewhere, as in unit tests) no pause ends early: the writer paces as before.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::Thread;
use std::time::Instant;

/// The runtime's workers; 0 until [`count_workers`], and then no pause ends early.
static WORKERS: AtomicUsize = AtomicUsize::new(0);
/// Workers parked now.
static PARKED: AtomicUsize = AtomicUsize::new(0);
/// Pauses under way now: a worker that parks looks at [`PAUSES`] only when one is.
static PAUSING: AtomicUsize = AtomicUsize::new(0);
/// Every pause's thread, to wake.
static PAUSES: Mutex<Vec<Weak<Pause>>> = Mutex::new(Vec::new());

/// Says how many workers the runtime has.
pub fn count_workers(workers: usize) {
    WORKERS.store(workers, SeqCst);
}

/// A worker is about to park: when it is the last, every pause under way ends.
pub fn worker_parked() {
    PARKED.fetch_add(1, SeqCst);
    // Stored before a pause's count is read here, as a pause counts itself before it reads the
    // workers parked: one of the two sees the other.
    if PAUSING.load(SeqCst) > 0 && all_parked() {
        let pauses = PAUSES.lock().unwrap_or_else(PoisonError::into_inner);
        for pause in pauses.iter().filter_map(Weak::upgrade) {
            pause.ended.store(true, SeqCst);
            pause.thread.unpark();
        }
    }
}

/// A worker has work again.
pub fn worker_unparked() {
    PARKED.fetch_sub(1, SeqCst);
}

fn all_parked() -> bool {
    let workers = WORKERS.load(SeqCst);
    workers > 0 && PARKED.load(SeqCst) >= workers
}

/// A thread's waits that end early when every worker parks.
pub struct Pause {
    thread: Thread,
    /// Every worker parked since the wait began.
    ended: AtomicBool,
}

impl Pause {
    /// The pauses of the thread calling it.
    pub fn of_this_thread() -> Arc<Self> {
        let pause = Arc::new(Self {
            thread: std::thread::current(),
            ended: AtomicBool::new(false),
        });
        let mut pauses = PAUSES.lock().unwrap_or_else(PoisonError::into_inner);
        pauses.retain(|p| p.strong_count() > 0);
        pauses.push(Arc::downgrade(&pause));
        pause
    }

    /// Sleeps until `deadline`, or less: until every worker is parked.
    pub fn until(&self, deadline: Instant) {
        PAUSING.fetch_add(1, SeqCst);
        self.ended.store(false, SeqCst);
        while !self.ended.load(SeqCst) && !all_parked() {
            match deadline.checked_duration_since(Instant::now()) {
                Some(rest) if !rest.is_zero() => std::thread::park_timeout(rest),
                _ => break,
            }
        }
        PAUSING.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The counts are the process's: one test holds them all.
    #[test]
    fn a_pause_ends_when_the_last_worker_parks_and_not_before() {
        let pause = Pause::of_this_thread();
        // Unknown workers: the pause runs to its deadline.
        let started = Instant::now();
        pause.until(started + Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));

        count_workers(2);
        worker_parked();
        let started = Instant::now();
        pause.until(started + Duration::from_millis(20));
        assert!(
            started.elapsed() >= Duration::from_millis(20),
            "one worker of two parked ended the pause"
        );

        // The second worker parks while the pause is under way, well before its deadline.
        let parker = std::thread::spawn(|| {
            while PAUSING.load(SeqCst) == 0 {
                std::thread::yield_now();
            }
            worker_parked();
        });
        let started = Instant::now();
        pause.until(started + Duration::from_secs(60));
        assert!(started.elapsed() < Duration::from_secs(60));
        parker.join().unwrap();

        // Every worker parked already: no wait at all.
        let started = Instant::now();
        pause.until(started + Duration::from_secs(60));
        assert!(started.elapsed() < Duration::from_secs(60));

        worker_unparked();
        worker_unparked();
        count_workers(0);
    }
}
