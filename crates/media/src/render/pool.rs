//! A small fixed thread pool for rendering (CPU-bound, never on async tasks).
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::{RenderError, RenderOptions, RenderedFile, render};
use crate::timeline::ClosedTimeline;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Render worker threads. Dropping the pool finishes queued jobs and joins.
#[derive(Debug)]
pub struct RenderPool {
    tx: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

/// The pending result of a submitted render.
#[derive(Debug)]
pub struct RenderHandle {
    rx: Receiver<Result<RenderedFile, RenderError>>,
}

impl RenderHandle {
    /// Blocks until the render finishes (from async code, await it through
    /// `spawn_blocking` or poll [`RenderHandle::try_result`]).
    pub fn wait(self) -> Result<RenderedFile, RenderError> {
        self.rx.recv().unwrap_or(Err(RenderError::WorkerGone))
    }

    /// The result if ready.
    pub fn try_result(&self) -> Option<Result<RenderedFile, RenderError>> {
        self.rx.try_recv().ok()
    }
}

impl RenderPool {
    /// Starts `threads` workers (at least one).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let h = std::thread::Builder::new().name(format!("render-{i}")).spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })?;
            workers.push(h);
        }
        Ok(RenderPool { tx: Some(tx), workers })
    }

    /// Queues a render.
    pub fn submit(&self, timeline: ClosedTimeline, options: RenderOptions) -> RenderHandle {
        let (rtx, rrx) = channel();
        let job: Job = Box::new(move || {
            let _ = rtx.send(render(&timeline, &options));
        });
        if let Some(tx) = &self.tx {
            let _ = tx.send(job);
        }
        RenderHandle { rx: rrx }
    }
}

impl Drop for RenderPool {
    fn drop(&mut self) {
        self.tx.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
